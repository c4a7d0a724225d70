/**
 * A cap on the sockets one remote address holds open at once, on an HTTP server. Node's own
 * `maxConnections` caps everyone together, so one client holding thousands of idle sockets
 * would lock every other out; counted per address, that client alone is refused. Loopback is
 * an address like any other: the cap also keeps a local flood from spending the daemon's file
 * descriptors, which its event logs need.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionCap {
  /** Sockets open now, from every address. */
  open(): number;
  /** Sockets refused since the start. */
  refused(): number;
}

/**
 * Counts sockets per `remoteAddress`; one over `max` gets a 503 and is closed before the HTTP
 * parser answers anything on it. `onRefused` is told each time (for a log record).
 */
export function capConnectionsPerAddress(
  server: Server,
  max: number,
  onRefused: (address: string, max: number) => void,
): ConnectionCap {
  const counts = new Map<string, number>();
  let refused = 0;
  let open = 0;
  // Prepended: the refusal must be on the wire before the HTTP server reads a request from it.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return; // closed before it was seen: nothing to count
    const count = (counts.get(address) ?? 0) + 1;
    if (count > max) {
      refused++;
      onRefused(address, max);
      const body = `too many connections from ${address}: the limit is ${max}\n`;
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      socket.once('finish', () => socket.destroy());
      return;
    }
    counts.set(address, count);
    open++;
    socket.once('close', () => {
      open--;
      const left = (counts.get(address) ?? 1) - 1;
      if (left === 0) counts.delete(address);
      else counts.set(address, left);
    });
  });
  return { open: () => open, refused: () => refused };
}
