import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Runs once per Jest run that includes a browser test, in Jest's own process before any worker starts, so
 * that parallel test files never unpack the browser over each other. The workers inherit the environment set
 * here: CHROMIUM_PATH, and FONTCONFIG_FILE for the fonts that come with that browser.
 *
 * The browser is the headless Chromium that the @sparticuz/chromium package ships, compressed, inside the
 * package itself: `npm ci` brings the same version to every machine, with no download of its own. It is
 * unpacked into the temporary folder, once per version, and reused by later runs. CHROMIUM_PATH, when set,
 * names another Chromium and nothing is unpacked.
 */
export default async function unpackChromium(): Promise<void> {
  if (process.env.CHROMIUM_PATH) return;
  const packageDir = dirname(dirname(require.resolve('@sparticuz/chromium')));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(tmpdir(), `colloquy-chromium-${version}`);
  if (!existsSync(join(dir, 'chromium'))) await unpackInto(dir);
  process.env.CHROMIUM_PATH = join(dir, 'chromium');
  process.env.FONTCONFIG_FILE = join(dir, 'fonts.conf');
}

/**
 * Unpacks into a folder of its own, then renames it into place: the rename is atomic, so another run that
 * unpacks at the same moment (or one that was killed halfway) never leaves a partial browser at `dir`.
 */
async function unpackInto(dir: string): Promise<void> {
  const staging = mkdtempSync(`${dir}.partial-`);
  const { default: chromium } = await import('@sparticuz/chromium');
  // The package always unpacks into os.tmpdir(), which follows TMPDIR; nothing else runs in this process yet.
  const tmpdirBefore = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  try {
    await chromium.executablePath();
  } finally {
    if (tmpdirBefore === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdirBefore;
  }
  // Its own fonts first, so text renders on a machine without any; then the system's, where it has some.
  writeFileSync(
    join(staging, 'fonts.conf'),
    `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>${join(dir, 'fonts', 'fonts')}</dir>
  <cachedir>${join(dir, 'fonts-cache')}</cachedir>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
</fontconfig>
`,
  );
  try {
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'chromium'))) throw error;
  }
}
