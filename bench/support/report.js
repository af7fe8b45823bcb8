'use strict';
// Plain-text tables for the terminal; the same data go to the JSON file.

/** Formats a cell: numbers to a sensible precision, null as a dash. */
function cell(value) {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (Number.isInteger(value) || abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A table with a title, a header row and rows; numbers right-aligned. */
function formatTable({ title, columns, rows }) {
  const text = rows.map((row) => row.map(cell));
  const widths = columns.map((name, i) => Math.max(name.length, ...text.map((row) => (row[i] ?? '').length)));
  const numeric = columns.map((_, i) => rows.every((row) => typeof row[i] === 'number' || row[i] == null));
  const line = (values) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i]) : value.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [title, line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}

/** Like cell, with one more digit for small fractions, so that a ratio just under its limit does not print as equal. */
const precise = (value) =>
  typeof value === 'number' && Math.abs(value) < 10 && !Number.isInteger(value) ? value.toFixed(3) : cell(value);

/** The checks of a scenario against the issue's targets: PASS or MISS each. */
function formatChecks(checks) {
  return formatTable({
    title: 'Targets',
    columns: ['check', 'measured', 'target', 'result'],
    rows: checks.map((check) => [
      check.name,
      `${precise(check.value)}${check.unit ? ` ${check.unit}` : ''}`,
      check.target,
      check.pass === null ? 'n/a' : check.pass ? 'PASS' : 'MISS',
    ]),
  });
}

/** A check: `value` against `limit` with `op` ('<' or '>='), or `pass: null` when it could not be measured. */
function check(name, value, op, limit, unit = '', note) {
  const measured = typeof value === 'number' && Number.isFinite(value);
  const pass = !measured ? null : op === '<' ? value < limit : value >= limit;
  return {
    name,
    value: measured ? value : null,
    unit,
    target: `${op} ${cell(limit)}${unit ? ` ${unit}` : ''}`,
    pass,
    ...(note && { note }),
  };
}

function formatScenario(result) {
  const parts = [`== ${result.id}. ${result.title} ==`];
  if (result.error) parts.push(`FAILED: ${result.error}`);
  for (const line of result.notes ?? []) parts.push(`  ${line}`);
  for (const table of result.tables ?? []) parts.push('', formatTable(table));
  if (result.checks?.length) parts.push('', formatChecks(result.checks));
  return parts.join('\n');
}

module.exports = { formatTable, formatChecks, formatScenario, check, cell };
