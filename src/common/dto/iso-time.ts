const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `date.toISOString()`, made from its UTC fields: half the time of V8's own, which response mappers pay for every
 * timestamp of a page (40 on a page of 20 conversations, a few per cent of the request's CPU). Years before 1000
 * (padded to four digits) or after 9999 (written with a sign), and invalid dates (a RangeError), go to the original.
 */
export function isoTime(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return date.toISOString();
  return (
    `${year}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}T` +
    `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}.` +
    `${pad3(date.getUTCMilliseconds())}Z`
  );
}
