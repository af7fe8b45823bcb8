import JSZip from 'jszip';
import { checkZipDeclarations } from './zip-limits';

const LIMITS = { maxEntries: 10, maxTotalBytes: 4 * 1024 * 1024, maxRatio: 100 };

const zipOf = (files: Record<string, string>) => {
  const zip = new JSZip();
  for (const [name, text] of Object.entries(files)) zip.file(name, text);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
};

describe('checkZipDeclarations', () => {
  it('accepts an ordinary archive', async () => {
    const zip = await zipOf({ 'a.xml': '<a>text</a>', 'b.xml': 'b'.repeat(2000) });
    expect(() => checkZipDeclarations(zip, LIMITS)).not.toThrow();
  });

  it('refuses an entry compressed past the ratio, as zip bombs are', async () => {
    const zip = await zipOf({ 'bomb.xml': ' '.repeat(2 * 1024 * 1024) });
    expect(() => checkZipDeclarations(zip, LIMITS)).toThrow(/compressed more than 100:1/);
  });

  it('refuses an archive that declares more bytes in all than allowed', async () => {
    const zip = await zipOf({ 'a.xml': ' '.repeat(1024 * 1024) });
    expect(() => checkZipDeclarations(zip, { ...LIMITS, maxTotalBytes: 1024 })).toThrow(/unpack to more than 1024/);
  });

  it('refuses too many entries', async () => {
    const zip = await zipOf(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`${i}.xml`, 'x'])));
    expect(() => checkZipDeclarations(zip, LIMITS)).toThrow(/more than 10 parts/);
  });

  it('refuses what is not a zip archive, or a cut one', async () => {
    const zip = await zipOf({ 'a.xml': 'a' });
    expect(() => checkZipDeclarations(Buffer.from('not a zip at all, just text'), LIMITS)).toThrow(/well-formed/);
    expect(() => checkZipDeclarations(zip.subarray(20), LIMITS)).toThrow(/well-formed/);
  });
});
