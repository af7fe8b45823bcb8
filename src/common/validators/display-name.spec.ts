import { displayNameFrom } from './display-name';

describe('displayNameFrom', () => {
  it('takes the first candidate with something to see, without controls or direction overrides', () => {
    expect(displayNameFrom('  Ada Lovelace ', 'ada')).toBe('Ada Lovelace');
    expect(displayNameFrom(undefined, '\u202eevil')).toBe('evil');
    expect(displayNameFrom('\u200b\u2060', 'a\u2066b\u2028c')).toBe('abc');
    expect(displayNameFrom(null, '\u200b')).toBe('user');
  });

  it('keeps names in every script, emoji sequences and combining marks', () => {
    for (const name of ['محمد', 'שלום', '李小龙', 'देवनागरी', '👩‍👩‍👧', 'Zoe\u0308']) {
      expect(displayNameFrom(name)).toBe(name);
    }
  });

  it('cuts at 100 characters, never within a surrogate pair', () => {
    expect(displayNameFrom('a' + '😀'.repeat(120))).toBe('a' + '😀'.repeat(99));
  });
});
