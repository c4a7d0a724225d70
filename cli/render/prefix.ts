/**
 * One way of putting a prefix before a message: never twice. Messages travel through layers that
 * each like to say who they are (`maestro:`, the command, a mission's reason), and an error made
 * by one layer often already starts with what the next would add (`maestro replay: …`,
 * `budget_exceeded: …`). Every prefix in cli/ goes through here.
 */

/**
 * `prefixed('maestro', 'run', text)` reads `maestro: run: text`, except that a prefix the text
 * (or the prefix after it) already starts with, as a word, is left out: `prefixed('maestro',
 * "maestro replay: no log")` is `maestro replay: no log`. Empty prefixes are skipped, and a
 * segment the text itself repeats (`error: error: boom`) is said once.
 */
export function prefixed(...parts: string[]): string {
  let text = once(parts.at(-1) ?? '');
  for (let i = parts.length - 2; i >= 0; i--) {
    const head = parts[i]!.trim();
    if (head === '' || startsWithWord(text, head)) continue;
    text = text === '' ? head : `${head}: ${text}`;
  }
  return text;
}

/**
 * A mission's or a supervisor's error as one line: its reason, then its message, the reason
 * left out when the message already names it (`budget_exceeded: samples at …`; a supervisor
 * that `… shut down: reached_max_restart_intensity …`).
 */
export function reasonText(error: { reason?: string; message?: string }): string {
  const reason = error.reason ?? '';
  const message = error.message ?? '';
  if (message === '') return reason;
  // `non_retryable` is also said `non-retryable` or `non retryable`: the message names it either way.
  const said = [reason, reason.replace(/_/g, '-'), reason.replace(/_/g, ' ')];
  if (reason === '' || said.some((r) => mentionsWord(message, r))) return once(message);
  return once(`${reason}: ${message}`);
}

/** `a: b: b: c` → `a: b: c`: a `segment: ` said twice in a row, said once. */
export function once(text: string): string {
  const repeat = /(^|: )([^:\n]{1,80}): \2(?=: |$)/;
  for (let m = repeat.exec(text); m; m = repeat.exec(text))
    text = text.slice(0, m.index) + m[1] + m[2] + text.slice(m.index + m[0].length);
  return text;
}

function startsWithWord(text: string, head: string): boolean {
  if (!text.startsWith(head)) return false;
  const next = text.charAt(head.length);
  return next === '' || next === ':' || next === ' ';
}

function mentionsWord(text: string, word: string): boolean {
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
    const before = at === 0 ? '' : text.charAt(at - 1);
    const after = text.charAt(at + word.length);
    if (!/[\w-]/.test(before) && !/[\w-]/.test(after)) return true;
  }
  return false;
}
