/**
 * `maestro mcp --http [HOST:]PORT`: the tool server over Streamable HTTP at `/mcp`, both protocol
 * eras from one factory (the SDK's `createMcpHandler`, bridged to node:http). On loopback (the
 * default) the Host and Origin headers must be local (no DNS rebinding from a web page); away
 * from loopback a bearer token is required, and any token given is checked everywhere, in
 * constant time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
  type Server,
} from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { UserError } from '../kernel/errors.js';
import { tokenMatches } from '../kernel/secrets.js';
import { DEFAULT_MAX_ARGUMENT_BYTES } from './toolServer.js';

export const MCP_PATH = '/mcp';

export interface McpHttpOptions {
  host: string;
  port: number;
  /** Required away from loopback. */
  token?: string;
  logger: Logger;
}

export interface McpHttpServer {
  url: string;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export async function serveMcpHttp(
  factory: () => Server,
  options: McpHttpOptions,
): Promise<McpHttpServer> {
  const loopback = isLoopback(options.host);
  if (!loopback && !options.token)
    throw new UserError(
      `maestro mcp: --http ${options.host}: away from loopback a bearer token is required (--token or MAESTRO_MCP_TOKEN)`,
    );
  const handler = createMcpHandler(factory, {
    maxRequestBodySize: 2 * DEFAULT_MAX_ARGUMENT_BYTES,
    onerror: (err) => options.logger.debug({ err }, 'maestro mcp: http request refused'),
  });
  const server = createServer((req, res) => {
    void answer(req, res).catch((err) => {
      options.logger.error({ err }, 'maestro mcp: http request failed');
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mcp.invalid');
    if (url.pathname !== MCP_PATH) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`not found: MCP is served at ${MCP_PATH}\n`);
      return;
    }
    if (options.token !== undefined) {
      const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (given === undefined || !tokenMatches(given, options.token)) {
        res
          .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
          .end('a bearer token is required (Authorization: Bearer TOKEN)\n');
        return;
      }
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([k, v]) =>
        v === undefined
          ? []
          : Array.isArray(v)
            ? v.map((x) => [k, x] as [string, string])
            : [[k, v] as [string, string]],
      ),
      signal: abort.signal,
      ...(req.method !== 'GET' &&
        req.method !== 'HEAD' && { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' }),
    } as RequestInit);
    const refused = loopback
      ? (hostHeaderValidationResponse(request, localhostAllowedHostnames()) ??
        originValidationResponse(request, localhostAllowedOrigins()))
      : undefined;
    const response = refused ?? (await handler.fetch(request));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) {
      res.end();
      return;
    }
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
      res.write(chunk);
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${MCP_PATH}`,
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
