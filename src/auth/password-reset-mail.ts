const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function describeMinutes(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** The password-reset mail: plain text for every client, and the same words as simple HTML. */
export function passwordResetMail(input: { email: string; url: string; ttlSeconds: number }) {
  const valid = describeMinutes(input.ttlSeconds);
  const text = [
    'Hello,',
    '',
    `someone (we hope you) asked to reset the password of the Colloquy account ${input.email}.`,
    `To choose a new password, open this link within ${valid}:`,
    '',
    input.url,
    '',
    'The link works once. Setting a new password signs the account out everywhere.',
    'If you did not ask for this, ignore this mail: your password stays as it is.',
    '',
    '-- Colloquy',
  ].join('\n');
  const html = [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif; line-height: 1.5; max-width: 36em">',
    '<p>Hello,</p>',
    `<p>someone (we hope you) asked to reset the password of the Colloquy account ${escapeHtml(input.email)}.</p>`,
    `<p>To choose a new password, open this link within ${valid}:</p>`,
    `<p><a href="${escapeHtml(input.url)}">Choose a new password</a></p>`,
    `<p style="word-break: break-all">${escapeHtml(input.url)}</p>`,
    '<p>The link works once. Setting a new password signs the account out everywhere.<br>',
    'If you did not ask for this, ignore this mail: your password stays as it is.</p>',
    '<p>&mdash; Colloquy</p>',
    '</body></html>',
  ].join('\n');
  return { subject: 'Reset your Colloquy password', text, html };
}
