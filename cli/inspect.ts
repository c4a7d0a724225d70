/**
 * `maestro inspect URL [--once] [--json]`: the inspector in a terminal. Connects to the ws of a
 * running inspector, prints the tree once, or keeps redrawing it as deltas arrive until Ctrl-C.
 */
import WebSocket from 'ws';
import { renderTree } from '../inspector/textView.js';
import type { InspectorDelta, InspectorSnapshot } from '../inspector/types.js';

export interface InspectIo {
  out(text: string): void;
  err(text: string): void;
}

/** What the command reads from its surroundings; tests inject it. */
export interface InspectEnv {
  /** Clear and redraw in place (a terminal), or print frames at most once a second. @default stdout is a TTY */
  tty?: boolean;
  /** @default the terminal's width, or no limit */
  columns?: number;
  /** Stops a live view, as Ctrl-C does. */
  signal?: AbortSignal;
  /** @default 5000 */
  connectTimeoutMs?: number;
  now?: () => number;
}

const keepEvents = 200;

export async function inspectCommand(
  url: string,
  flags: { once?: boolean; json?: boolean },
  io: InspectIo,
  env: InspectEnv = {},
): Promise<number> {
  let target: string;
  try {
    target = toWsUrl(url);
  } catch {
    io.err(
      `maestro inspect: invalid URL '${url}' (expected http://HOST:PORT/ or ws://HOST:PORT/ws)`,
    );
    return 2;
  }
  const tty = env.tty ?? Boolean(process.stdout.isTTY);
  const columns = env.columns ?? (tty ? process.stdout.columns : undefined);
  const now = env.now ?? Date.now;
  const interval = tty ? 100 : 1000;

  return await new Promise<number>((resolve) => {
    const socket = new WebSocket(target, { handshakeTimeout: env.connectTimeoutMs ?? 5000 });
    let state: InspectorSnapshot | undefined;
    let opened = false;
    let done = false;
    let lastDraw = 0;
    let timer: NodeJS.Timeout | undefined;
    let lastResync = -Infinity;

    const finish = (code: number): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onInterrupt);
      env.signal?.removeEventListener('abort', onInterrupt);
      socket.removeAllListeners('close');
      socket.on('error', () => {});
      socket.close();
      resolve(code);
    };
    const onInterrupt = (): void => finish(0);
    const draw = (): void => {
      timer = undefined;
      if (!state || done) return;
      lastDraw = now();
      const frame = renderTree(state, { width: columns });
      io.out(tty ? `\x1b[H\x1b[2J${frame}` : `${frame}\n`);
    };
    const scheduleDraw = (): void => {
      if (timer) return;
      timer = setTimeout(draw, Math.max(0, lastDraw + interval - now()));
    };

    if (!flags.once && !flags.json) {
      process.once('SIGINT', onInterrupt);
      env.signal?.addEventListener('abort', onInterrupt, { once: true });
    }
    socket.on('open', () => {
      opened = true;
    });
    socket.on('error', (err) => {
      if (!opened) io.err(`maestro inspect: cannot reach ${url}: ${err.message}`);
      else io.err(`maestro inspect: ${url}: ${err.message}`);
      finish(1);
    });
    socket.on('close', () => {
      io.err(
        opened
          ? `maestro inspect: connection to ${url} closed`
          : `maestro inspect: cannot reach ${url}: connection closed`,
      );
      finish(1);
    });
    socket.on('message', (raw) => {
      let msg: { type?: unknown };
      try {
        msg = JSON.parse(raw.toString()) as { type?: unknown };
      } catch {
        return;
      }
      if (msg.type === 'snapshot') {
        const { writable: _writable, ...snapshot } = msg as InspectorSnapshot & {
          writable?: boolean;
        };
        state = snapshot;
        if (flags.json) {
          io.out(JSON.stringify(state));
          return finish(0);
        }
        if (flags.once) {
          io.out(renderTree(state, { width: columns }));
          return finish(0);
        }
        draw();
      } else if (msg.type === 'delta' && state) {
        const delta = msg as InspectorDelta;
        if (delta.seq <= state.seq) return;
        if (delta.seq !== state.seq + 1) {
          // A gap: ask for what we missed, at most once a second while the gap lasts.
          if (now() - lastResync >= 1000) {
            lastResync = now();
            socket.send(JSON.stringify({ type: 'resync', from: state.seq }));
          }
          return;
        }
        state = applyDelta(state, delta);
        scheduleDraw();
      } else if (msg.type === 'error') {
        io.err(`maestro inspect: ${String((msg as { message?: unknown }).message)}`);
      }
    });
  });
}

/** `http://h:p/` → `ws://h:p/ws`; `https:` → `wss:`; a ws URL without a path gets `/ws`. Query kept. */
export function toWsUrl(input: string): string {
  const u = new URL(input);
  if (u.protocol === 'http:' || u.protocol === 'https:')
    u.protocol = u.protocol === 'http:' ? 'ws:' : 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new Error(`unsupported protocol ${u.protocol}`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  u.hash = '';
  return u.toString();
}

/** The snapshot after one delta: nodes upserted and removed, votes by path, events appended. */
export function applyDelta(s: InspectorSnapshot, d: InspectorDelta): InspectorSnapshot {
  const nodes = new Map(s.nodes.map((n) => [n.id, n]));
  for (const id of d.removes) nodes.delete(id);
  for (const n of d.upserts) nodes.set(n.id, n);
  const votes = new Map(s.votes.map((v) => [v.path, v]));
  for (const v of d.votes) {
    votes.delete(v.path);
    votes.set(v.path, v);
  }
  return {
    type: 'snapshot',
    seq: d.seq,
    nodes: [...nodes.values()],
    events: [...s.events, ...d.events].slice(-keepEvents),
    votes: [...votes.values()],
    approvals: d.approvals ?? s.approvals,
    definitions: d.definitions ? { ...s.definitions, ...d.definitions } : s.definitions,
    dropped: d.dropped,
  };
}
