import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * One line of standard input, the line break left out; undefined when the input ends first. On a terminal it asks
 * for it ("Password: ", on standard error) and shows nothing of what is typed.
 */
export function readPassword(input: NodeJS.ReadStream = process.stdin): Promise<string | undefined> {
  const terminal = input.isTTY === true;
  if (terminal) process.stderr.write('Password: ');
  const lines = createInterface({
    input,
    // readline echoes what is typed to its output: on a terminal that output is a sink, so the screen shows nothing.
    output: terminal ? new Writable({ write: (_chunk, _encoding, done) => done() }) : undefined,
    terminal,
  });
  return new Promise((resolve, reject) => {
    let password: string | undefined;
    let cancelled = false;
    lines.once('line', (line) => {
      password = line;
      lines.close();
    });
    // Ctrl-C, in the terminal's raw mode, reaches readline instead of ending the process.
    lines.once('SIGINT', () => {
      cancelled = true;
      lines.close();
    });
    lines.once('close', () => {
      if (terminal) process.stderr.write('\n');
      if (cancelled) reject(new Error('cancelled'));
      else resolve(password);
    });
  });
}
