/** Sample statistics and the result table of `npm run bench`. */

/** One row of the report. `target`/`pass` are null for metrics reported without a target. */
export interface MetricResult {
  median: number;
  p90: number;
  unit: string;
  target: string | null;
  pass: boolean | null;
  runs: number;
  note?: string;
  /** Extra numbers (baseline, ratio, counts…), machine-readable. */
  extra?: Record<string, number | string>;
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Nearest-rank quantile; the median of an even count is the mean of the middle two. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  if (q === 0.5) {
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function p90(xs: readonly number[]): number {
  return quantile(xs, 0.9);
}

/** A metric from samples with an upper-bound target (`max`), or without a target. */
export function metric(samples: readonly number[], unit: string, max?: number, note?: string, extra?: Record<string, number | string>): MetricResult {
  const med = median(samples);
  return {
    median: round(med),
    p90: round(p90(samples)),
    unit,
    target: max === undefined ? null : `<= ${max} ${unit}`,
    pass: max === undefined ? null : med <= max,
    runs: samples.length,
    ...(note ? { note } : {}),
    ...(extra ? { extra } : {}),
  };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Renders the results as an aligned text table. */
export function formatTable(results: Record<string, MetricResult>): string {
  const header = ['metric', 'median', 'p90', 'unit', 'target', 'pass', 'runs', 'note'];
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    fmt(r.median),
    fmt(r.p90),
    r.unit,
    r.target ?? '-',
    r.pass === null ? '-' : r.pass ? 'PASS' : 'FAIL',
    String(r.runs),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i >= 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(2);
}
