/**
 * Words or JSON lines. Words on a terminal, JSON lines otherwise (a pipe, a file, a log
 * collector); `--json` asks for JSON and `--pretty` for words whatever the output is.
 * `--pretty` wins over `--json`: `run --json --pretty` is a JSON result with progress in words.
 */
export type OutputMode = 'pretty' | 'json';

export function outputMode(
  flags: { json?: boolean; pretty?: boolean },
  tty: boolean | undefined,
): OutputMode {
  if (flags.pretty) return 'pretty';
  if (flags.json) return 'json';
  return tty ? 'pretty' : 'json';
}
