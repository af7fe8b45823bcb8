import { ECHO_FEATURES } from '../ai/providers/echo.provider';
import { toChatMessages, toFinishReason } from './chat-messages';

const ECHO = { id: 'echo', features: ECHO_FEATURES };

describe('toChatMessages', () => {
  it('keeps the order, takes developer as system and joins text parts one a line', () => {
    expect(
      toChatMessages(
        [
          { role: 'developer', content: 'Be brief.' },
          { role: 'system', content: 'Answer in English.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'First part.' },
              { type: 'text', text: 'Second part.' },
            ],
          },
          { role: 'assistant', content: 'Noted.' },
          { role: 'user', content: 'Go on.' },
        ],
        ECHO,
      ),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'Answer in English.' },
      { role: 'user', content: 'First part.\nSecond part.' },
      { role: 'assistant', content: 'Noted.' },
      { role: 'user', content: 'Go on.' },
    ]);
  });
});

describe('toFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    [null, 'stop'],
    ['length', 'length'],
    ['max_tokens', 'length'],
    ['content_filter', 'content_filter'],
    ['refusal', 'content_filter'],
  ])('reads %s as %s', (vendor, openAi) => {
    expect(toFinishReason(vendor)).toBe(openAi);
  });
});
