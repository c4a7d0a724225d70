/**
 * Set up for every test file: a warning that points at a leak or a misuse fails the file that
 * printed it. XState's warnings ("sent to stopped actor": a result delivered after its receiver
 * ended; "custom actions should not call assign()", ...) and Node's MaxListenersExceededWarning
 * (abort listeners piling up on one signal); a green run prints none.
 */
import { afterAll } from 'vitest';

const seen: string[] = [];

process.on('warning', (w) => {
  if (w.name === 'MaxListenersExceededWarning') seen.push(`${w.name}: ${w.message}`);
});

/**
 * XState's development warnings (node_modules/xstate/dist, `console.warn`): each is a misuse of
 * the library or a leak, never expected in a green run.
 */
const XSTATE_WARNINGS = [
  'was sent to stopped actor',
  'Custom actions should not call',
  'Missing `machine.output` declaration',
  'Could not resolve StateNode',
  'Dynamically mapping values to individual properties is deprecated',
  'Wildcards can only be the last token',
  'Infix wildcards in transition events',
  'used outside of a machine-created State object',
];

const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  const text = args.map(String).join(' ');
  if (XSTATE_WARNINGS.some((w) => text.includes(w))) seen.push(text.split('\n')[0]!);
  warn(...args);
};

afterAll(async () => {
  // Node emits a process warning on a later tick.
  await new Promise((r) => setImmediate(r));
  if (seen.length > 0)
    throw new Error(
      `this test file printed ${seen.length} leak or misuse warning(s):\n${seen.join('\n')}`,
    );
});
