/**
 * A tiny Docker Registry v2 token issuer on 127.0.0.1, for docker-registry's `auth.token` mode
 * (distribution docs "Token Authentication Specification" and "Token Authentication Implementation"):
 * `GET /token?service=S&scope=repository:NAME:ACTIONS[&account=U]`, optional Basic credentials,
 * answers `{ token, access_token, expires_in }` with an RS256 JWT whose `x5c` header carries a
 * self-signed certificate that the registry trusts through `rootcertbundle`. Key and certificate are
 * generated with openssl for each run.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TokenRequest {
  /** GET (distribution token spec) or POST (OAuth2, `grant_type=refresh_token`) */
  method?: string;
  account: string | undefined;
  /** true when Basic credentials were sent and valid */
  authenticated: boolean;
  scopes: string[];
  service: string | null;
}

export interface TokenIssuer {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  requests: TokenRequest[];
  stop(): Promise<void>;
}

export interface TokenIssuerOptions {
  /** user → password */
  users: Record<string, string>;
  /** OAuth2 refresh tokens (Docker's identity tokens) → account, for `POST /token grant_type=refresh_token`. */
  refreshTokens?: Record<string, string>;
  /** Serve HTTPS with this certificate and key (PEM files) instead of plain HTTP. */
  tls?: { certFile: string; keyFile: string };
  /** Which actions an account (undefined: anonymous) gets on a repository. */
  grant(account: string | undefined, repository: string, requested: string[]): string[];
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function basicUser(req: IncomingMessage, users: Record<string, string>): string | undefined | null {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Basic (.+)$/i.exec(h);
  if (!m) return null;
  const [user, ...rest] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
  return user !== undefined && users[user] !== undefined && users[user] === rest.join(':') ? user : null;
}

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const dir = mkdtempSync(join(tmpdir(), 'magikrun-token-issuer-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '1', '-subj', '/CN=magikrun test token issuer',
  ], { stdio: 'ignore' });
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = new X509Certificate(readFileSync(certFile)).raw;
  const service = 'magikrun-test-registry';
  const issuer = 'magikrun-test-issuer';
  const requests: TokenRequest[] = [];

  const handler: RequestListener = async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    let user: string | undefined | null;
    let scopes: string[];
    let service: string | null;
    if (req.method === 'POST') {
      // OAuth2 refresh-token grant (distribution docs "OAuth2 Token Authentication").
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const account = form.get('grant_type') === 'refresh_token' ? options.refreshTokens?.[form.get('refresh_token') ?? ''] : undefined;
      user = account ?? null;
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      service = form.get('service');
      requests.push({ method: 'POST', account: account, authenticated: account !== undefined, scopes, service });
      if (user === null) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant', error_description: 'unknown refresh token' }));
        return;
      }
    } else {
      user = basicUser(req, options.users);
      scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      service = url.searchParams.get('service');
      requests.push({ method: 'GET', account: user ?? undefined, authenticated: typeof user === 'string', scopes, service });
    }
    if (user === null) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const access = scopes.flatMap((s) => {
      const m = /^repository:([^:]+):(.+)$/.exec(s);
      if (!m) return [];
      const actions = options.grant(user, m[1]!, m[2]!.split(','));
      return actions.length ? [{ type: 'repository', name: m[1]!, actions }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + 300,
      nbf: now - 60,
      iat: now,
      jti: randomBytes(16).toString('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), key);
    const token = `${input}.${b64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  };
  const server = options.tls ? createHttpsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    realm: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
