import type { Role } from '../users/user.entity';

/** The signed-in caller, as the JWT strategy resolves it on every request (fresh role and status). */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
}
