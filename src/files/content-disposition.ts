/**
 * A Content-Disposition header (RFC 6266) for a stored name: a plain-ASCII `filename` for old clients and the
 * exact name as `filename*` (RFC 8187). Quotes, backslashes and anything outside printable ASCII never reach
 * the quoted form, so no name can end the header value or add a parameter.
 */
export function contentDisposition(type: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
