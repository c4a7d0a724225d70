/**
 * The inspector's HTTP + ws server: serves the static page, `/snapshot.json`, and on `/ws` the
 * hub's snapshot followed by its deltas. Read-only unless a token is configured and presented;
 * a client that cannot keep up is cut off rather than allowed to grow the server's memory.
 * answerClient.ts answers what a client sends.
 */
import { tokenMatches } from '../kernel/secrets.js';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, WebSocket } from 'ws';
import { answerClient, type AnswerContext } from './answerClient.js';
import { capConnectionsPerAddress } from './connectionCap.js';
import type { MissionQuery } from './hubMissions.js';
import { mayRead, READS, readRoute, refusedRead, type MissionSource } from './serverReads.js';
import type { ClientMessage, InspectorDelta, InspectorSnapshot, MissionPage } from './types.js';

/** What the server needs from the hub. */
export interface HubLike {
  snapshot(): InspectorSnapshot;
  /** The deltas after `seq` (seq + 1, …), or undefined when the hub no longer keeps them all. */
  since(seq: number): InspectorDelta[] | undefined;
  subscribe(listener: (d: InspectorDelta) => void): () => void;
  /** A client watches until the returned function is called (the hub inspects only then). */
  watch?(): () => void;
  /** The missions the hub has seen: the list when no `missions` source is given. */
  missionList?(query: MissionQuery): MissionPage;
}

export type { MissionSource } from './serverReads.js';

/** A pino-compatible subset. */
export interface InspectorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface InspectorServerOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** Enables approve / reject / stop for clients that present it. @default none: read-only */
  token?: string;
  /**
   * Reading (the ws, `/snapshot.json`, the mission list and histories) needs this token too:
   * the daemon's rule for reads away from loopback (`--auth-reads`). The page itself (static
   * files) stays open; it asks for the token. @default none: reads are open
   */
  readToken?: string;
  /** The mission list and histories. @default the hub's own list, and no histories */
  missions?: MissionSource;
  /** Called with a write (approve, reject, stop) from a client that presented the token; the token is removed. */
  onWrite?: (msg: ClientMessage) => Promise<void> | void;
  /** A client whose unsent data exceeds this is terminated. @default 4 MiB */
  maxBufferedBytes?: number;
  /** @default 30000; 0 disables the ping that finds dead clients */
  pingIntervalMs?: number;
  /** A larger ws message from a client closes its socket with 1009 and a reason. @default 65536 */
  maxMessageBytes?: number;
  /**
   * Receiving a whole request, headers and body, may take this long; then 408 and the socket
   * closes (a body trickled byte by byte would hold a socket for Node's 300 s otherwise). Only
   * receiving counts: an event stream or a ws connection lives on once its request is in.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /** Receiving the headers may take this long. @default 20000, and never more than requestTimeoutMs */
  headersTimeoutMs?: number;
  /** Sockets one remote address (loopback too) may hold open at once; one more gets 503 and is closed. 0: no cap. @default 256 */
  maxConnectionsPerAddress?: number;
  logger?: InspectorLogger;
  /**
   * Another service on the same port (the daemon's `/api/`): called with every request that
   * passed the host check, before the inspector's own routes. It resolves true when it answered
   * the request, false to leave it to the inspector. @default none
   */
  api?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface InspectorServer {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  port: number;
  stats(): { clients: number; droppedClients: number };
  /** Sockets open now and refused over the per-address cap so far (both 0 without a cap). */
  connections(): { open: number; refused: number };
  /** Resolves once no client is connected (at once when none is). */
  clientsGone(): Promise<void>;
  close(): Promise<void>;
}

/** What the server sends: the snapshot (with whether this client may write), deltas, replies. */
export type ServerMessage =
  | (InspectorSnapshot & { writable: boolean })
  | InspectorDelta
  | { type: 'ack'; action: 'approve' | 'reject' | 'stop'; id?: string; path?: string }
  | { type: 'error'; message: string };

const pageDir = fileURLToPath(new URL('./page/', import.meta.url));
/** Libraries the page loads from the package's own dependencies (no CDN: the page works offline). */
const vendor = new Map([
  ['vendor/elk.js', createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js')],
]);
const contentTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json; charset=utf-8',
  ico: 'image/x-icon',
};
const securityHeaders = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'",
};
const noop = (): void => {};

export async function startInspectorServer(
  hub: HubLike,
  options: InspectorServerOptions = {},
): Promise<InspectorServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const log = options.logger ?? { info: noop, warn: noop };
  // Only the files that are in the page folder at start can be served: no path ever reaches the fs.
  const files = new Map(
    readdirSync(pageDir)
      .filter((f) => /^[\w.-]+\.(\w+)$/.test(f) && contentTypes[ext(f)])
      .map((f): [string, string] => [f, pageDir + f])
      .concat([...vendor]),
  );
  const loopback = isLoopback(host);
  let droppedClients = 0;

  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? 20_000, requestTimeout);
  // Node looks for expired requests only this often (30 s by default): a quarter of the timeout
  // cuts a slow request within 1.25 times its limit.
  const connectionsCheckingInterval = Math.max(
    50,
    Math.min(30_000, Math.floor(headersTimeout / 4)),
  );
  const http = createServer(
    { requestTimeout, headersTimeout, connectionsCheckingInterval },
    (req, res) => void serveHttp(req, res),
  );
  const maxPerAddress = options.maxConnectionsPerAddress ?? 256;
  const cap =
    maxPerAddress > 0
      ? capConnectionsPerAddress(http, maxPerAddress, (address, max) =>
          log.warn(
            { address, maxConnectionsPerAddress: max },
            'inspector: connection refused: too many from one address',
          ),
        )
      : undefined;
  const maxPayload = options.maxMessageBytes ?? 64 * 1024;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    WebSocket: withPayloadReason(maxPayload),
  });
  const answering: AnswerContext = { hub, token: options.token, onWrite: options.onWrite, log };
  const alive = new WeakMap<WebSocket, boolean>();
  /** Clients that have had their snapshot and so take deltas. */
  const ready = new WeakSet<WebSocket>();
  let whenGone: (() => void)[] = [];
  const checkGone = (): void => {
    if (wss.clients.size > 0) return;
    const waiting = whenGone;
    whenGone = [];
    for (const resolve of waiting) resolve();
  };

  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!hostAllowed(req, loopback))
        return reply(res, 403, 'text/plain; charset=utf-8', 'forbidden host\n');
      if (options.api && (await options.api(req, res))) return;
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      if (READS.has(path)) {
        const { status, body } = mayRead(req, url, options.readToken)
          ? await readRoute(path, url, hub, options.missions)
          : refusedRead();
        return reply(res, status, contentTypes.json!, JSON.stringify(body), req.method);
      }
      const file = files.get(path === '/' ? 'index.html' : path.slice(1));
      if (!file) return reply(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      // A pinned library's file changes only with the package: the browser may keep it a day.
      const cache: Record<string, string> = path.startsWith('/vendor/')
        ? { 'cache-control': 'public, max-age=86400' }
        : {};
      reply(res, 200, contentTypes[ext(file)]!, await readFile(file), req.method, cache);
    } catch (err) {
      log.warn({ err, url: req.url }, 'inspector: http request failed');
      if (!res.headersSent) reply(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    }
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (code: number, text: string): void => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/ws') return refuse(404, 'Not Found');
    // A page on another site must not read the tree: browsers send Origin, the CLI does not.
    if (!hostAllowed(req, loopback) || !originAllowed(req)) return refuse(403, 'Forbidden');
    if (!mayRead(req, url, options.readToken)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) =>
      onConnection(ws, url.searchParams.get('token') ?? undefined),
    );
  });

  function send(ws: WebSocket, data: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > maxBuffered) {
      droppedClients++;
      log.warn(
        { bufferedBytes: ws.bufferedAmount, maxBufferedBytes: maxBuffered, droppedClients },
        'inspector: slow client terminated',
      );
      ws.terminate();
      return;
    }
    ws.send(data, (err) => {
      if (err) log.warn({ err }, 'inspector: send failed');
    });
  }

  function onConnection(ws: WebSocket, connToken: string | undefined): void {
    const writable =
      options.onWrite !== undefined &&
      options.token !== undefined &&
      connToken !== undefined &&
      tokenMatches(connToken, options.token);
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('error', (err) => log.warn({ err }, 'inspector: client error'));
    const client = { connToken, writable, send: (data: string) => send(ws, data) };
    ws.on(
      'message',
      (raw, isBinary) => void answerClient(isBinary ? '' : raw.toString(), client, answering),
    );
    const unwatch = hub.watch?.();
    ws.on('close', () => {
      unwatch?.();
      checkGone();
    });
    // Taking the snapshot may flush the hub: deltas it covers must not reach this client first.
    send(ws, JSON.stringify({ ...hub.snapshot(), writable }));
    ready.add(ws);
  }

  // One subscription for all clients; each delta is serialized once. Never throws into the hub.
  const unsubscribe = hub.subscribe((delta) => {
    try {
      const data = JSON.stringify(delta);
      for (const ws of wss.clients) if (ready.has(ws)) send(ws, data);
    } catch (err) {
      log.warn({ err, seq: delta.seq }, 'inspector: broadcast failed');
    }
  });

  const pingMs = options.pingIntervalMs ?? 30_000;
  const pinger =
    pingMs > 0
      ? setInterval(() => {
          for (const ws of wss.clients) {
            if (!alive.get(ws)) {
              ws.terminate();
              continue;
            }
            alive.set(ws, false);
            ws.ping();
          }
        }, pingMs)
      : undefined;
  pinger?.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  log.info({ url, writable: options.token !== undefined }, 'inspector: listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    stats: () => ({ clients: wss.clients.size, droppedClients }),
    connections: () => ({ open: cap?.open() ?? 0, refused: cap?.refused() ?? 0 }),
    clientsGone: () =>
      new Promise<void>((resolve) => {
        whenGone.push(resolve);
        checkGone();
      }),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        unsubscribe();
        if (pinger) clearInterval(pinger);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      })),
  };
}

/**
 * ws closes a socket whose message is over `maxPayload` with 1009 but no reason (its receiver
 * calls `close(1009)`): this subclass, ws's own extension point, gives that close its reason.
 */
function withPayloadReason(maxPayload: number): typeof WebSocket {
  return class extends WebSocket {
    override close(code?: number, data?: string | Buffer): void {
      super.close(
        code,
        code === 1009 && data === undefined
          ? `message too large: the limit is ${maxPayload} bytes`
          : data,
      );
    }
  };
}

function reply(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  method?: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...securityHeaders,
    ...headers,
  });
  res.end(method === 'HEAD' ? undefined : body);
}

function ext(file: string): string {
  return file.slice(file.lastIndexOf('.') + 1);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Bound to loopback, only loopback names are accepted: a DNS-rebound name is refused. */
function hostAllowed(req: IncomingMessage, loopback: boolean): boolean {
  if (!loopback) return true;
  const name = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
