/** A whole amount above zero and a unit: a lifetime of 0 would end every token as it is made. */
export const DURATION_PATTERN = /^(?!0+(?:ms|s|m|h|d)?$)(\d+)(ms|s|m|h|d)?$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `900`, `15m`, `30d` (a bare number means seconds, as in jsonwebtoken) into seconds. */
export function durationToSeconds(value: string): number {
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) throw new Error(`Not a duration: ${value}`);
  const amount = Number(match[1]);
  const unit = match[2] ?? 's';
  return Math.max(1, Math.floor((amount * UNIT_MS[unit]) / 1000));
}
