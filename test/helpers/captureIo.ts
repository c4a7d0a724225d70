/**
 * An `Io` for the CLI's commands that keeps what they print, line by line. `tty` says which of
 * stdout and stderr pretend to be a terminal: the renderer prints words there, JSON lines
 * elsewhere (a capture is not a terminal unless told).
 */
import type { Io } from '../../cli/main.js';

export type CapturedIo = Io & { stdout: string[]; stderr: string[] };

export function captureIo(tty: { out?: boolean; err?: boolean } = {}): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t), tty };
}

/** Both outputs a terminal: what a person at a shell sees. */
export const terminalIo = (): CapturedIo => captureIo({ out: true, err: true });
