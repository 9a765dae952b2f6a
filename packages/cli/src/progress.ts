/**
 * The pull progress display: one bar per blob and a total bar (the `overall` events: bytes of config
 * and layers), drawn by cli-progress on a TTY, and a line per finished blob plus a total line
 * otherwise (logs and pipes get no escape codes).
 *
 * @module progress
 */
import cliProgress from 'cli-progress';
import type { PullProgress } from '@magikrun/core';

const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export class PullProgressDisplay {
  readonly #out: NodeJS.WriteStream;
  readonly #multi: cliProgress.MultiBar | undefined;
  readonly #bars = new Map<string, cliProgress.SingleBar>();
  readonly #done = new Set<string>();

  constructor(out: NodeJS.WriteStream, reference: string) {
    this.#out = out;
    out.write(`pulling ${reference}\n`);
    if (out.isTTY) {
      this.#multi = new cliProgress.MultiBar(
        {
          stream: out,
          clearOnComplete: false,
          hideCursor: true,
          format: ' {kind} {id} [{bar}] {percentage}% {done}/{size}',
          formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? formatBytes(v) : String(v)),
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  update(p: PullProgress): void {
    if (p.kind === 'overall') {
      this.#overall(p);
      return;
    }
    if (this.#multi) {
      let bar = this.#bars.get(p.digest);
      const payload = { kind: p.kind.padEnd(8), id: short(p.digest), done: formatBytes(p.completed), size: p.total ? formatBytes(p.total) : '?' };
      if (!bar) {
        bar = this.#multi.create(Math.max(p.total, p.completed, 1), p.completed, payload);
        this.#bars.set(p.digest, bar);
      }
      bar.setTotal(Math.max(p.total, p.completed, 1));
      bar.update(p.completed, payload);
    }
    if (p.done && !this.#done.has(p.digest)) {
      this.#done.add(p.digest);
      if (!this.#multi) this.#out.write(` ${p.kind} ${short(p.digest)} ${p.cached ? 'already present' : `${formatBytes(p.completed)} verified`}\n`);
    }
  }

  #total: cliProgress.SingleBar | undefined;
  #overallDone = false;

  #overall(p: PullProgress): void {
    if (this.#multi) {
      const payload = { kind: 'total'.padEnd(8), id: ''.padEnd(12), done: formatBytes(p.completed), size: formatBytes(p.total) };
      this.#total ??= this.#multi.create(Math.max(p.total, 1), p.completed, payload);
      this.#total.setTotal(Math.max(p.total, p.completed, 1));
      this.#total.update(p.completed, payload);
    } else if (p.done && !this.#overallDone) {
      this.#overallDone = true;
      this.#out.write(` total ${formatBytes(p.total)}${p.cached ? ', all already present' : ''}\n`);
    }
  }

  finish(digest: string): void {
    this.#multi?.stop();
    this.#out.write(`pulled ${digest}\n`);
  }

  fail(): void {
    this.#multi?.stop();
  }
}
