// Functions passed to page.evaluate run in the browser, with its DOM.
/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import {
  chat,
  ChatServer,
  eventually,
  openPage,
  sendAndWait,
  signUpThroughPage,
  startChatServerAndBrowser,
  TestPage,
} from '../support/browser';
import { EXE, pdf, PNG } from '../support/files';

interface ChatBody {
  messages: { role: string; content: unknown }[];
}

/** A file as the page's scripts see one that was dropped or pasted. */
interface FileSpec {
  name: string;
  type: string;
  bytes: number[];
}

const spec = (name: string, type: string, bytes: Buffer): FileSpec => ({ name, type, bytes: [...bytes] });

describe('Attachments in the chat page', () => {
  let server: ChatServer;
  let browser: Browser;
  const tabs: TestPage[] = [];

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(() => {
    for (const tab of tabs.splice(0)) expect(tab.pageErrors).toEqual([]);
  });

  async function signedIn(): Promise<{ page: Page; email: string }> {
    const tab = await openPage(browser);
    tabs.push(tab);
    const { email } = await signUpThroughPage(tab.page, server.t.url);
    await chat(tab.page).model.selectOption('openai/gpt-4o-mini');
    return { page: tab.page, email };
  }

  const tray = (page: Page) => page.getByRole('list', { name: 'Files to send' });
  const chipOf = (page: Page, name: string) => tray(page).getByRole('listitem', { name });
  const filesOf = async (email: string) =>
    server.t.query<{ name: string; status: string }>(
      'SELECT f.name, f.status FROM files f JOIN users u ON u.id = f.owner_id WHERE u.email = ? ORDER BY f.name',
      [email],
    );
  const lastPrompt = () => {
    const chats = server.upstream.requests.filter((r) => r.path.endsWith('/chat/completions'));
    return (chats.at(-1)!.body as ChatBody).messages;
  };

  async function drop(page: Page, file: FileSpec) {
    const dataTransfer = await page.evaluateHandle(({ name, type, bytes }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
      return transfer;
    }, file);
    await page.locator('#chat').dispatchEvent('dragover', { dataTransfer });
    await page.locator('#chat').dispatchEvent('drop', { dataTransfer });
  }

  it('attaches by the button: thumbnails and chips before sending, one removed, the rest sent with the question', async () => {
    const { page, email } = await signedIn();
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Attach files' }).click();
    await (
      await chooser
    ).setFiles([
      { name: 'chart.png', mimeType: 'image/png', buffer: PNG },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('the numbers are up') },
    ]);

    await chipOf(page, 'chart.png').getByText('Ready').waitFor();
    await chipOf(page, 'notes.txt').getByText('Ready').waitFor();
    const thumbnail = chipOf(page, 'chart.png').locator('img');
    await eventually(() => thumbnail.evaluate((img: HTMLImageElement) => img.naturalWidth > 0), 'the thumbnail shows');

    await page.getByRole('button', { name: 'Remove notes.txt' }).click();
    await chipOf(page, 'notes.txt').waitFor({ state: 'detached' });
    // Uploaded and then removed: nothing holds it, so it is gone from the account too.
    await eventually(async () => (await filesOf(email)).length === 1, 'the removed file is deleted');

    await sendAndWait(page, 'What does the chart show?');
    expect(await tray(page).isHidden()).toBe(true);
    const question = chat(page).lastQuestion;
    const shown = question.getByRole('img', { name: 'chart.png' });
    await eventually(() => shown.evaluate((img: HTMLImageElement) => img.naturalWidth > 0), 'the image shows');
    expect(lastPrompt().at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What does the chart show?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
      ],
    });

    // After a reload the question still shows its image, which opens full size.
    await page.reload();
    const reloaded = chat(page).lastQuestion.getByRole('button', { name: 'Open chart.png' });
    await reloaded.waitFor();
    const popup = page.waitForEvent('popup');
    await reloaded.click();
    const opened = await popup;
    expect(opened.url()).toMatch(/^blob:/);
    await opened.close();
  });

  it('attaches a dropped PDF, shows its text being read, and downloads it from the conversation', async () => {
    const { page } = await signedIn();
    await drop(page, spec('report.pdf', 'application/pdf', pdf('Quarterly figures')));

    await chipOf(page, 'report.pdf').getByText('Ready').waitFor();
    await sendAndWait(page, 'Summarise the report.');
    expect(JSON.stringify(lastPrompt().at(-1))).toContain('Quarterly figures');

    const download = page.waitForEvent('download');
    await chat(page).lastQuestion.getByRole('button', { name: 'Download report.pdf' }).click();
    expect((await download).suggestedFilename()).toBe('report.pdf');
  });

  it('attaches a pasted image, and leaves pasted text to the message box', async () => {
    const { page } = await signedIn();
    await chat(page).message.focus();
    await page.evaluate(
      ({ name, type, bytes }) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
        const input = document.getElementById('message-input')!;
        input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
      },
      spec('screenshot.png', 'image/png', PNG),
    );

    await chipOf(page, 'screenshot.png').getByText('Ready').waitFor();
    expect(await chat(page).message.inputValue()).toBe('');
  });

  it('keeps the page when a file is dropped outside the chat, rather than letting the browser open the file', async () => {
    const { page } = await signedIn();

    const prevented = await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['some text'], 'notes.txt', { type: 'text/plain' }));
      const sidebar = document.getElementById('sidebar')!;
      return ['dragover', 'drop'].map((type) => {
        const event = new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true });
        sidebar.dispatchEvent(event);
        return event.defaultPrevented;
      });
    });

    // Not prevented, the browser would replace the page with the file.
    expect(prevented).toEqual([true, true]);
    expect(await tray(page).isHidden()).toBe(true);
  });

  it('sends the files of a question again with its edited version', async () => {
    const { page } = await signedIn();
    await drop(page, spec('minutes.txt', 'text/plain', Buffer.from('The budget was approved.')));
    await chipOf(page, 'minutes.txt').getByText('Ready').waitFor();
    await sendAndWait(page, 'What was decided?');

    await chat(page).lastQuestion.getByRole('button', { name: 'Edit question' }).click();
    const editor = page.getByRole('textbox', { name: 'Edit your question' });
    await editor.fill('What was decided about the budget?');
    await editor.press('Enter');

    const edited = chat(page).lastQuestion;
    await edited.getByText('2 / 2', { exact: true }).waitFor();
    const question = lastPrompt().at(-1)!;
    expect(question.content).toContain('What was decided about the budget?');
    expect(question.content).toContain('The budget was approved.');
    await edited.getByRole('button', { name: 'Download minutes.txt' }).waitFor();
  });

  it('says why a file failed, and sends nothing until it is removed', async () => {
    const { page } = await signedIn();
    await drop(page, spec('scan.pdf', 'application/pdf', pdf()));
    await drop(page, spec('setup.exe', 'application/octet-stream', EXE));

    await chipOf(page, 'scan.pdf')
      .getByText(/^Failed: .*text/i)
      .waitFor();
    await chipOf(page, 'setup.exe')
      .getByText(/^Failed: /)
      .waitFor();
    const requestsBefore = server.upstream.requests.length;
    await chat(page).message.fill('Read these.');
    await chat(page).message.press('Enter');
    await chat(page).alert.getByText('Remove the files that failed before sending.').waitFor();
    expect(await chat(page).message.inputValue()).toBe('Read these.');
    expect(server.upstream.requests.length).toBe(requestsBefore);

    await page.getByRole('button', { name: 'Remove scan.pdf' }).click();
    await page.getByRole('button', { name: 'Remove setup.exe' }).click();
    const answer = await sendAndWait(page, 'Never mind.');
    expect(await answer.getAttribute('aria-busy')).toBeNull();
    expect(lastPrompt().at(-1)).toEqual({ role: 'user', content: 'Never mind.' });
  });
});
