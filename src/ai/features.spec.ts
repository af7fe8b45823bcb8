import { TEXT_ONLY, type ChatRequest } from './ai-provider';
import { canHonour } from './features';
import { ANTHROPIC_FEATURES } from './providers/anthropic.provider';
import { OPENAI_FEATURES } from './providers/openai.provider';

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'm',
  messages: [{ role: 'user', content: 'Hi' }],
  signal: new AbortController().signal,
  ...extra,
});

describe('canHonour', () => {
  it('takes a plain text request anywhere', () => {
    expect(canHonour(TEXT_ONLY, request({ temperature: 0.2, maxTokens: 10 }))).toBe(true);
  });

  it.each<[string, Partial<ChatRequest>]>([
    ['tools', { tools: [{ name: 'lookup' }] }],
    ['a tool turn in the history', { messages: [{ role: 'tool', content: '{}', toolCallId: 'c1' }] }],
    [
      'an image',
      {
        messages: [
          { role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }] },
        ],
      },
    ],
    ['a response format', { responseFormat: { type: 'json_object' } }],
    ['stop sequences', { stop: ['END'] }],
    ['top_p', { topP: 0.5 }],
    ['a seed', { seed: 1 }],
    ['a user', { user: 'u' }],
  ])('refuses %s to a provider that cannot honour it, not to one that can', (_, extra) => {
    expect(canHonour(TEXT_ONLY, request(extra))).toBe(false);
    expect(canHonour(OPENAI_FEATURES, request(extra))).toBe(true);
  });

  it('refuses an image larger than the provider takes', () => {
    const image = (bytes: number): Partial<ChatRequest> => ({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'A'.repeat((bytes / 3) * 4) } },
          ],
        },
      ],
    });
    // Counted as the base64 text the provider receives: 3.75 MiB of bytes are 5 MiB of it.
    expect(canHonour(ANTHROPIC_FEATURES, request(image(3.75 * 1024 * 1024)))).toBe(true);
    expect(canHonour(ANTHROPIC_FEATURES, request(image(3.75 * 1024 * 1024 + 3)))).toBe(false);
    expect(canHonour(OPENAI_FEATURES, request(image(3.75 * 1024 * 1024 + 3)))).toBe(true);
  });
});
