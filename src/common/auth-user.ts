/** What a user may do: every route is open to both unless it says `@Roles('admin')`. */
export type Role = 'user' | 'admin';
export const ROLES: readonly Role[] = ['user', 'admin'];

/** The signed-in caller, as the JWT strategy resolves it on every request (fresh role and status). */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  /** The session (sign-in) of the access token; absent for an API key. */
  sessionId?: string;
}
