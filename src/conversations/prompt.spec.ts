import type { StoredFile } from '../files/stored-file.entity';
import type { Message } from './entities/message.entity';
import {
  allotDocumentText,
  assemblePrompt,
  buildPrompt,
  DOCUMENT_BUDGET_CHARS,
  documentBudgetChars,
  estimateTokens,
  HistoryBudget,
  titleFrom,
  withImages,
} from './prompt';

let clock = 0;
const message = (role: 'user' | 'assistant', content: string, status: Message['status'] = 'complete'): Message => ({
  id: `m${++clock}`,
  conversationId: 'c',
  parentId: clock > 1 ? `m${clock - 1}` : null,
  depth: clock,
  jumpId: null,
  role,
  content,
  model: 'echo/echo',
  servedBy: null,
  status,
  error: null,
  promptTokens: null,
  completionTokens: null,
  createdAt: new Date(clock),
  editedAt: null,
});

describe('buildPrompt', () => {
  it('puts the system prompt first and keeps the history in order', () => {
    const history = [message('user', 'hi'), message('assistant', 'hello'), message('user', 'how are you?')];
    expect(buildPrompt('Be brief.', history, 10_000)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'how are you?' },
    ]);
  });

  it('drops the oldest messages first when the budget is exceeded, and starts on a user turn', () => {
    const long = 'x'.repeat(350);
    const history = [
      message('user', long),
      message('assistant', long),
      message('user', long),
      message('assistant', long),
      message('user', 'last'),
    ];
    const budget = estimateTokens('last') + 2 * estimateTokens(long) + 1;
    const prompt = buildPrompt(null, history, budget);
    expect(prompt.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(prompt[prompt.length - 1].content).toBe('last');
    const tighter = buildPrompt(null, history, budget - 2);
    // The assistant turn that would lead is dropped too: providers want the conversation to open with the user.
    expect(tighter).toEqual([{ role: 'user', content: 'last' }]);
  });

  it('always keeps the newest message, even when it alone is over budget', () => {
    const prompt = buildPrompt('sys', [message('user', 'y'.repeat(10_000))], 10);
    expect(prompt.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('leaves out failed answers that carry no text, but keeps partial ones', () => {
    const history = [
      message('user', 'a'),
      message('assistant', '', 'error'),
      message('user', 'b'),
      message('assistant', 'partial', 'incomplete'),
      message('user', 'c'),
    ];
    expect(buildPrompt(null, history, 10_000).map((m) => m.content)).toEqual(['a', 'b', 'partial', 'c']);
  });
});

describe('HistoryBudget', () => {
  it('accepts, on lengths alone and newest first, exactly the messages buildPrompt keeps', () => {
    const history = [
      message('user', 'a'.repeat(700)),
      message('assistant', 'b'.repeat(700)),
      message('user', 'c'.repeat(100)),
      message('assistant', '', 'error'),
      message('user', 'd'.repeat(100)),
    ];
    const budgetTokens = 2 * estimateTokens('d'.repeat(100)) + estimateTokens('b'.repeat(700)) + estimateTokens('s');
    const budget = new HistoryBudget('s', budgetTokens);

    const accepted = [...history].reverse().filter((m) => budget.admit({ role: m.role, length: m.content.length }));

    // Newest first: d, the empty answer (free), c, b; then a does not fit, and nothing older is asked for.
    expect(accepted.map((m) => m.content.slice(0, 1))).toEqual(['d', '', 'c', 'b']);
    expect(buildPrompt('s', history, budgetTokens).map((m) => m.content.slice(0, 1))).toEqual(['s', 'c', 'd']);
  });
});

describe('titleFrom', () => {
  it('takes the first line', () => {
    expect(titleFrom('  Plan a trip\nwith details')).toBe('Plan a trip');
  });

  it('cuts long lines at a word', () => {
    const title = titleFrom('word '.repeat(30));
    expect(title.length).toBeLessThanOrEqual(61);
    expect(title.endsWith('word…')).toBe(true);
  });
});

describe('assemblePrompt and allotDocumentText', () => {
  const file = (id: string, kind: 'image' | 'document', textChars: number | null = null) =>
    ({ id, name: `${id}.txt`, mimeType: kind === 'image' ? 'image/png' : 'text/plain', kind, textChars }) as StoredFile;

  it('allots the budget to the newest message first, each document in order, as much as is left', () => {
    const old = file('old', 'document', 50);
    const [a, b] = [file('a', 'document', 30), file('b', 'document', 40)];
    const history = [
      { role: 'user' as const, content: 'first', attachments: [old] },
      { role: 'assistant' as const, content: 'ok' },
      { role: 'user' as const, content: 'second', attachments: [a, file('img', 'image'), b] },
    ];

    const allotted = allotDocumentText(history, 60);

    expect([allotted.get(a), allotted.get(b), allotted.get(old)]).toEqual([30, 30, 0]);
  });

  it('puts documents before the text, says where one was cut, and lists images beside their message', () => {
    const [doc, cut, image] = [file('doc', 'document', 5), file('cut', 'document', 10), file('img', 'image')];
    const texts = new Map([
      [doc, 'hello'],
      [cut, 'abc'],
    ]);

    const prompt = assemblePrompt(
      'Be brief.',
      [{ role: 'user', content: 'Look.', attachments: [doc, image, cut] }],
      100_000,
      texts,
    );

    expect(prompt.messages[1].content).toBe(
      '<document name="doc.txt" type="text/plain">\nhello\n</document>\n\n' +
        `<document name="cut.txt" type="text/plain">\nabc\n[Cut here: 3 of the document's 10 characters are ` +
        `included; attached documents may bring ${DOCUMENT_BUDGET_CHARS} characters to one request.]\n</document>\n\n` +
        'Look.',
    );
    expect(prompt.images).toEqual([[], [{ fileId: 'img', name: 'img.txt', mimeType: 'image/png' }]]);
  });
});

describe('documentBudgetChars', () => {
  it('gives documents DOCUMENT_BUDGET_CHARS, or half of a smaller model budget', () => {
    expect(documentBudgetChars(100_000)).toBe(DOCUMENT_BUDGET_CHARS);
    expect(documentBudgetChars(8_000)).toBe(14_000);
    expect(documentBudgetChars(4_000)).toBe(7_000);
  });
});

describe('withImages', () => {
  const prompt = {
    messages: [
      { role: 'user' as const, content: 'Compare these.' },
      { role: 'assistant' as const, content: 'The first is red.' },
    ],
    images: [
      [
        { fileId: 'a', name: 'a.png', mimeType: 'image/png', size: 3 },
        { fileId: 'b', name: 'b.webp', mimeType: 'image/webp', size: 6 * 1024 * 1024 },
      ],
      [],
    ],
  };

  it('puts each image after the text as a base64 part, in order, and leaves turns without images as text', () => {
    const messages = withImages(
      prompt,
      new Map([
        ['a', 'QUFB'],
        ['b', 'QkJC'],
      ]),
    );
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these.' },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'QUFB' } },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/webp', data: 'QkJC' } },
        ],
      },
      { role: 'assistant', content: 'The first is red.' },
    ]);
  });

  it('leaves out an image whose bytes could not be read', () => {
    const [asked] = withImages(prompt, new Map([['b', 'QkJC']]));
    expect(asked.content).toEqual([
      { type: 'text', text: 'Compare these.' },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/webp', data: 'QkJC' } },
    ]);
  });

  it('names instead of sending an image larger than the provider takes', () => {
    const data = new Map([
      ['a', 'QUFB'],
      ['b', 'QkJC'],
    ]);
    const [asked] = withImages(prompt, data, 5 * 1024 * 1024);
    expect(asked.content).toEqual([
      {
        type: 'text',
        text: '[Attached image "b.webp" left out: it is larger than this model takes (5 MB as base64).]\n\nCompare these.',
      },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'QUFB' } },
    ]);
  });

  it('names the images in the text for a model that cannot see them', () => {
    const [asked] = withImages(prompt, null);
    expect(asked.content).toBe(
      '[Attached image "a.png": this model cannot see images.]\n' +
        '[Attached image "b.webp": this model cannot see images.]\n\nCompare these.',
    );
  });
});
