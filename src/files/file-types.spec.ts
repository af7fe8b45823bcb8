import { contentDisposition } from './content-disposition';
import { displayName } from './file-types';

describe('displayName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\notes.txt', 'notes.txt'],
    ['..', 'file'],
    ['', 'file'],
    [undefined, 'file'],
    ['.env', '.env'],
    ['...', 'file'],
    ['a\u0000b\r\n.txt', 'a_b__.txt'],
    ['invoice\u202Efdp.exe', 'invoice_fdp.exe'],
    ['café "menu".md', 'café _menu_.md'],
  ])('shows %j as %j', (raw, shown) => {
    expect(displayName(raw)).toBe(shown);
  });

  it('keeps at most 255 characters', () => {
    expect([...displayName('é'.repeat(300))]).toHaveLength(255);
  });

  it('cuts a long name in its stem, keeping the extension', () => {
    const shown = displayName(`${'😀'.repeat(300)}.md`);
    expect([...shown]).toHaveLength(255);
    expect(shown).toBe(`${'😀'.repeat(252)}.md`);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII filename and the exact one in filename*', () => {
    expect(contentDisposition('attachment', 'café menu.md')).toBe(
      `attachment; filename="caf_ menu.md"; filename*=UTF-8''caf%C3%A9%20menu.md`,
    );
  });

  it('never lets a name close the quoted value or add a parameter', () => {
    const header = contentDisposition('inline', 'a";b=\\c%.png');
    expect(header).toBe(`inline; filename="a_;b=_c_.png"; filename*=UTF-8''a%22%3Bb%3D%5Cc%25.png`);
  });
});
