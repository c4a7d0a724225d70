/**
 * Set up for every test file: a warning that points at work leaking past a stopped actor fails
 * the file that printed it. XState's "sent to stopped actor" (a result delivered after its
 * receiver ended) and Node's MaxListenersExceededWarning (abort listeners piling up on one signal)
 * were both real leaks once; a green run prints neither.
 */
import { afterAll } from 'vitest';

const seen: string[] = [];

process.on('warning', (w) => {
  if (w.name === 'MaxListenersExceededWarning') seen.push(`${w.name}: ${w.message}`);
});

const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  const text = args.map(String).join(' ');
  if (text.includes('was sent to stopped actor')) seen.push(text.split('\n')[0]!);
  warn(...args);
};

afterAll(async () => {
  // Node emits a process warning on a later tick.
  await new Promise((r) => setImmediate(r));
  if (seen.length > 0)
    throw new Error(`this test file printed ${seen.length} leak warning(s):\n${seen.join('\n')}`);
});
