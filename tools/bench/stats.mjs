// Shared helpers of the benchmarks: medians and p90s of repeated measurements, markdown tables.

/** @returns {{ name: string, median: number, p90: number, samples: number[] }} */
export function stats(name, samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { name, median: q(0.5), p90: q(0.9), samples };
}

export function measure(runs, name, fn) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(fn());
  return stats(name, samples);
}

export async function measureAsync(runs, name, fn) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await fn());
  return stats(name, samples);
}

/** A markdown table. */
export function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
