import type { MessageResponseDto } from './dto/message-response.dto';
import { Generation, GenerationEvent, MAX_BUFFERED_CHARS, MAX_BUFFERED_DELTAS } from './generation';

const question = { id: 'q' } as MessageResponseDto;
const answer = { id: 'a' } as MessageResponseDto;
const textOf = (events: GenerationEvent[]) =>
  events
    .filter((event) => event.event === 'delta')
    .map((event) => (event.data as { text: string }).text)
    .join('');

function replay(generation: Generation, after: number): GenerationEvent[] {
  const seen: GenerationEvent[] = [];
  generation.subscribe(after, { onEvent: (event) => seen.push(event) })();
  return seen;
}

describe('Generation', () => {
  it('numbers its events from 1 and hands a viewer the ones after its point, then the live ones', () => {
    const generation = new Generation('g', 'u', 'c', 'a');
    generation.begin(question, answer);
    generation.appendDelta('one ');
    const live: GenerationEvent[] = [];
    generation.subscribe(2, { onEvent: (event) => live.push(event) });
    generation.appendDelta('two');
    generation.finish({ ...answer, content: 'one two' }, null, null);
    generation.appendDelta('late');

    expect(live.map((event) => [event.id, event.event])).toEqual([
      [3, 'delta'],
      [4, 'delta'],
      [5, 'assistant_message'],
    ]);
    expect(replay(generation, 0).map((event) => event.event)).toEqual([
      'user_message',
      'generation',
      'delta',
      'delta',
      'assistant_message',
    ]);
  });

  it('gives every resume point the exact rest of the text once old deltas are dropped', () => {
    const generation = new Generation('g', 'u', 'c', 'a');
    generation.begin(null, answer);
    const full: GenerationEvent[] = [];
    generation.subscribe(0, { onEvent: (event) => full.push(event) });
    // Deltas of varied lengths, enough to pass both limits.
    for (let i = 0; i < MAX_BUFFERED_DELTAS * 3; i++) generation.appendDelta(`${i}${'x'.repeat(i % 97)} `);
    const text = textOf(full);
    expect(generation.text).toBe(text);
    expect(text.length).toBeGreaterThan(MAX_BUFFERED_CHARS * 2);

    for (let after = 0; after <= full.length; after++) {
      const rest = replay(generation, after);
      const ids = rest.map((event) => event.id);
      // Later than the viewer's point, increasing, ending with the newest event.
      expect(ids.every((id, i) => id > after && (i === 0 || id > ids[i - 1]))).toBe(true);
      if (after < full.length) expect(ids.at(-1)).toBe(full.at(-1)!.id);
      expect(textOf(full.slice(0, after)) + textOf(rest)).toBe(text);
    }
    // Old deltas come joined: fewer events than were published.
    expect(replay(generation, 1).length).toBeLessThan(full.length);
  });

  it('lets its viewers go at the end and gives late ones the ending at once', () => {
    const generation = new Generation('g', 'u', 'c', 'a');
    generation.begin(null, answer);
    let count = 0;
    generation.subscribe(0, { onEvent: () => void count++ });
    generation.finish(null, new Error('failed'), { statusCode: 502 });
    generation.appendDelta('after the end');

    expect(count).toBe(2);
    expect(generation.running).toBe(false);
    expect(replay(generation, 1)).toEqual([{ id: 2, event: 'error', data: { statusCode: 502 } }]);
  });
});
