import type { IDToken } from 'openid-client';
import { profileOf } from './oidc.client';

const claims = (extra: Record<string, unknown>): IDToken =>
  ({ iss: 'https://id.example', sub: 'user-1', aud: 'colloquy', iat: 0, exp: 1, ...extra }) as IDToken;

describe('profileOf', () => {
  it('takes the email and its verification from the ID token', () => {
    expect(profileOf(claims({ email: 'ada@example.com', email_verified: true, name: 'Ada' }))).toEqual({
      issuer: 'https://id.example',
      subject: 'user-1',
      email: 'ada@example.com',
      emailVerified: true,
      name: 'Ada',
    });
  });

  it('fills what the ID token lacks from the userinfo answer', () => {
    const profile = profileOf(claims({}), { email: 'ada@example.com', email_verified: 'true', name: 'Ada' });
    expect(profile).toMatchObject({ email: 'ada@example.com', emailVerified: true, name: 'Ada' });
  });

  it('takes the verification of the ID token’s email from a userinfo answer about the same address only', () => {
    const same = profileOf(claims({ email: 'Ada@example.com' }), { email: 'ada@example.com', email_verified: true });
    expect(same).toMatchObject({ email: 'Ada@example.com', emailVerified: true });
    const other = profileOf(claims({ email: 'ada@example.com' }), { email: 'eve@example.com', email_verified: true });
    expect(other).toMatchObject({ email: 'ada@example.com', emailVerified: false });
  });

  it('does not let the ID token vouch for an address only the userinfo answer gives', () => {
    const profile = profileOf(claims({ email_verified: true }), { email: 'ada@example.com', email_verified: false });
    expect(profile).toMatchObject({ email: 'ada@example.com', emailVerified: false });
  });

  it('vouches for no email when there is none', () => {
    expect(profileOf(claims({ email_verified: true }), {})).toMatchObject({ email: null, emailVerified: false });
  });
});
