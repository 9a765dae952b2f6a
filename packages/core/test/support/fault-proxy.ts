/**
 * A fault-injecting HTTP proxy in front of the test registry, on 127.0.0.1 (and a second listener on
 * 127.0.0.2 that blob redirects point to). Every request is forwarded to the registry; blob GETs
 * (`/v2/<name>/blobs/sha256:…`) take the next queued fault that matches their digest:
 *
 * - `truncate`: the registry's headers, then half the body (at most `at` bytes), then a clean close
 * - `reset`: half the body, then a TCP reset
 * - `stall`: half the body, then nothing (the connection stays open until the client gives up)
 * - `status500`: a 500 with a registry error body
 * - `length-short`: `Content-Length` 1000 bytes less than the body (the client sees a complete, short answer)
 * - `length-long`: `Content-Length` 1000 bytes more than the body, then a close
 * - `ignore-range`: the `Range` header is dropped, so the registry answers 200 with the whole blob
 * - `other-range`: a `Range` is answered from one byte later than asked (206 with that `Content-Range`)
 * - `corrupt`: one byte of the body flipped
 * - `redirect`: a 307 to the same path on 127.0.0.2, which serves it (and logs it)
 * - `hold`: nothing at all until {@link FaultProxy.release}, then the normal answer
 *
 * Requests are logged with their `Range` header, so tests can assert that a resume asked for one.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';

export type Fault =
  | 'truncate'
  | 'reset'
  | 'stall'
  | 'status500'
  | 'length-short'
  | 'length-long'
  | 'ignore-range'
  | 'other-range'
  | 'corrupt'
  | 'redirect'
  | 'hold';

export interface LoggedRequest {
  /** `127.0.0.1` or `127.0.0.2`. */
  address: string;
  method: string;
  path: string;
  /** Digest of a blob request. */
  digest: string | undefined;
  range: string | undefined;
  fault: Fault | undefined;
  status: number;
}

interface Planned {
  fault: Fault;
  digest: string | undefined;
  /** Byte count after which a body fault strikes. @default half the body */
  at: number | undefined;
}

const BLOB = /\/blobs\/(sha256:[a-f0-9]{64})$/;

export class FaultProxy {
  readonly log: LoggedRequest[] = [];
  readonly #queue: Planned[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #held: (() => void)[] = [];
  #main!: http.Server;
  #alt!: http.Server;
  /** `127.0.0.1:PORT` */
  host = '';
  /** `127.0.0.2:PORT` */
  altHost = '';

  private constructor(private readonly upstream: string) {}

  /** Start both listeners in front of `upstream` (`127.0.0.1:PORT` of the registry). */
  static async start(upstream: string): Promise<FaultProxy> {
    const p = new FaultProxy(upstream);
    p.#main = await p.#listen('127.0.0.1');
    p.#alt = await p.#listen('127.0.0.2');
    p.host = `127.0.0.1:${(p.#main.address() as AddressInfo).port}`;
    p.altHost = `127.0.0.2:${(p.#alt.address() as AddressInfo).port}`;
    return p;
  }

  /**
   * Queue `fault` for the next blob GET of `digest` (any blob when undefined), `times` times.
   * @param at bytes of the body sent before a body fault strikes @default half the body
   */
  plan(fault: Fault, options: { digest?: string; times?: number; at?: number } = {}): this {
    for (let i = 0; i < (options.times ?? 1); i++) this.#queue.push({ fault, digest: options.digest, at: options.at });
    return this;
  }

  /** Let every `hold` request go on. */
  release(): void {
    for (const go of this.#held.splice(0)) go();
  }

  /** Drop queued faults and the log. */
  reset(): void {
    this.#queue.length = 0;
    this.log.length = 0;
  }

  /** Faults still queued. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Blob requests of `digest`, in order. */
  blobRequests(digest: string): LoggedRequest[] {
    return this.log.filter((r) => r.digest === digest && r.method === 'GET');
  }

  /** Close both listeners and every open connection (stalled ones included). */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await Promise.all([this.#main, this.#alt].map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
  }

  /** Destroy every open connection (stalled bodies). */
  dropConnections(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async #listen(address: string): Promise<http.Server> {
    const server = http.createServer((req, res) => this.#handle(address, req, res));
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, address, () => resolve());
    });
    return server;
  }

  #take(digest: string | undefined, address: string): Planned | undefined {
    // The redirect target serves what it is asked; faults apply on the main address.
    if (digest === undefined || address !== '127.0.0.1') return undefined;
    const i = this.#queue.findIndex((p) => p.digest === undefined || p.digest === digest);
    return i < 0 ? undefined : this.#queue.splice(i, 1)[0];
  }

  #handle(address: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const digest = req.method === 'GET' ? BLOB.exec(url.split('?')[0]!)?.[1] : undefined;
    const planned = this.#take(digest, address);
    const fault = planned?.fault;
    const entry: LoggedRequest = { address, method: req.method ?? 'GET', path: url, digest, range: header(req, 'range'), fault, status: 0 };
    this.log.push(entry);

    if (fault === 'status500') {
      entry.status = 500;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected failure' }] }));
      return;
    }
    if (fault === 'redirect') {
      entry.status = 307;
      res.writeHead(307, { location: `http://${this.altHost}${url}` });
      res.end();
      return;
    }

    if (fault === 'hold') {
      this.#held.push(() => this.#forward(req, res, entry, undefined, undefined));
      return;
    }
    this.#forward(req, res, entry, fault, planned?.at);
  }

  #forward(req: http.IncomingMessage, res: http.ServerResponse, entry: LoggedRequest, fault: Fault | undefined, plannedAt: number | undefined): void {
    const url = req.url ?? '/';
    const headers = { ...req.headers, host: this.upstream };
    if (fault === 'ignore-range') delete headers.range;
    if (fault === 'other-range' && typeof headers.range === 'string') {
      const m = /^bytes=(\d+)-$/.exec(headers.range);
      if (m) headers.range = `bytes=${Number(m[1]) + 1}-`;
    }
    const [host, port] = this.upstream.split(':');
    const up = http.request({ host, port: Number(port), method: req.method, path: url, headers }, (upRes) => {
      entry.status = upRes.statusCode ?? 0;
      const out = { ...upRes.headers };
      const length = Number(upRes.headers['content-length']);
      const body = Number.isFinite(length) ? length : 0;
      const at = Math.min(plannedAt ?? Math.floor(body / 2), body);
      if (fault === 'length-short' && Number.isFinite(length)) out['content-length'] = String(Math.max(0, length - 1000));
      if (fault === 'length-long' && Number.isFinite(length)) out['content-length'] = String(length + 1000);
      res.writeHead(upRes.statusCode ?? 502, out);
      if (fault === 'truncate' || fault === 'reset' || fault === 'stall') {
        upRes.pipe(cutAfter(at, () => {
          if (fault === 'truncate') res.socket?.end();
          else if (fault === 'reset') res.socket?.resetAndDestroy();
          // stall: keep the socket open and send nothing more
        })).pipe(res, { end: false });
        return;
      }
      if (fault === 'corrupt') {
        upRes.pipe(flipByte(at)).pipe(res);
        return;
      }
      if (fault === 'length-short') {
        upRes.pipe(cutAfter(Math.max(0, length - 1000), () => res.end())).pipe(res, { end: false });
        return;
      }
      if (fault === 'length-long') {
        upRes.pipe(res, { end: false });
        upRes.on('end', () => res.socket?.end());
        return;
      }
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
    res.on('close', () => up.destroy());
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Pass the first `n` bytes, then call `then` once and swallow the rest. */
function cutAfter(n: number, then: () => void): Transform {
  let sent = 0;
  let fired = false;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      const room = n - sent;
      if (room > 0) {
        const part = chunk.subarray(0, room);
        sent += part.length;
        this.push(part);
      }
      if (sent >= n && !fired) {
        fired = true;
        // Let the pushed bytes reach the socket first.
        setImmediate(then);
      }
      cb();
    },
    flush(cb) {
      if (!fired) {
        fired = true;
        setImmediate(then);
      }
      cb();
    },
  });
}

/** Flip the bits of the byte at offset `at`. */
function flipByte(at: number): Transform {
  let pos = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      if (at >= pos && at < pos + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[at - pos] = copy[at - pos]! ^ 0xff;
        chunk = copy;
      }
      pos += chunk.length;
      cb(null, chunk);
    },
  });
}
