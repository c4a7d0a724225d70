/**
 * The command line's two ends: where output goes (`Io`) and the error for a bad command line
 * (`UsageError`). A leaf, so that every command can import it without importing `main.ts`.
 */
import { UserError } from '../kernel/errors.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Which of the two is a terminal: words there, JSON lines elsewhere (render/outputMode.ts). */
  tty?: { out?: boolean; err?: boolean };
}

export const stdio: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  tty: { out: Boolean(process.stdout.isTTY), err: Boolean(process.stderr.isTTY) },
};

export class UsageError extends UserError {
  override name = 'UsageError';
  /** The command whose usage is printed after the message (a bad flag). */
  readonly command?: string;
  constructor(message: string, options?: { cause?: unknown; command?: string }) {
    super(message, options);
    if (options?.command !== undefined) this.command = options.command;
  }
}
