import { randomBytes } from 'node:crypto';
import { open, seal } from './secret-box';

describe('secret box (AES-256-GCM)', () => {
  const key = randomBytes(32);

  it('opens what it sealed, and seals the same text differently each time', () => {
    const sealed = seal(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    expect(open(key, sealed, 'user-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(seal(key, 'JBSWY3DPEHPK3PXP', 'user-1')).not.toBe(sealed);
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it('refuses another key, another owner, and an altered value', () => {
    const sealed = seal(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    expect(() => open(randomBytes(32), sealed, 'user-1')).toThrow();
    expect(() => open(key, sealed, 'user-2')).toThrow();
    const altered = Buffer.from(sealed, 'base64');
    altered[altered.length - 1] ^= 1;
    expect(() => open(key, altered.toString('base64'), 'user-1')).toThrow();
  });
});
