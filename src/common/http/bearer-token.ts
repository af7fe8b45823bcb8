/**
 * The token of an `Authorization: Bearer <token>` header, or undefined. The header must hold nothing else: read
 * loosely (the first two words), `Bearer <token> anything` would pass as the token alone.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}
