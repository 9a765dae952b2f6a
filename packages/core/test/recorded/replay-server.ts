/**
 * A tiny HTTP server on a loopback address that answers with scripted responses and records every
 * request (method, path + query, headers, body), for replaying registry conversations in unit tests.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface RecordedRequest {
  method: string;
  /** path + query */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** the address the request arrived on (`127.0.0.1:PORT`) */
  host: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Send headers, then stop (the body never comes): a stalled transfer. */
  stall?: boolean;
  /** Destroy the connection without answering: a reset. */
  reset?: boolean;
  /** Send only the first N bytes of the body (Content-Length stays the full length), then close. */
  truncateAt?: number;
}

export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

export interface ReplayServer {
  /** `127.0.0.x:PORT` */
  host: string;
  origin: string;
  requests: RecordedRequest[];
  handler: Handler;
  close(): Promise<void>;
}

/** Listen on `address` (default 127.0.0.1), port chosen by the kernel. */
export async function startReplayServer(handler: Handler, address = '127.0.0.1'): Promise<ReplayServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const state: ReplayServer = {} as ReplayServer;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rec: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), host: state.host };
    requests.push(rec);
    let reply: Reply;
    try {
      reply = await state.handler(rec);
    } catch (e) {
      reply = { status: 500, body: String(e) };
    }
    if (reply.reset) {
      req.socket.destroy();
      return;
    }
    const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body);
    res.writeHead(reply.status, { 'content-length': String(body.length), ...reply.headers });
    if (reply.stall) {
      res.flushHeaders();
      return;
    }
    if (reply.truncateAt !== undefined) {
      res.write(body.subarray(0, reply.truncateAt));
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, address);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  Object.assign(state, {
    host: `${address}:${port}`,
    origin: `http://${address}:${port}`,
    requests,
    handler,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  });
  return state;
}
