/** A MAKER task's progress as one line: step N of M, samples per step, red flags, speed, ETA. */
import type { MakerProgressView } from '../../inspector/makerProgressFold.js';
import { count, formatMs, percent, rate } from './format.js';

/** `step 512 of 1,023 (50%), 3.02 samples/step, 0.4% red-flagged, 2,150 steps/s, ETA 0.2 s`. */
export function makerProgressText(v: MakerProgressView): string {
  const of =
    v.steps === undefined
      ? `step ${count(v.step)}`
      : `step ${count(v.step)} of ${count(v.steps)} (${Math.floor((100 * v.step) / Math.max(1, v.steps))}%)`;
  const parts = [
    of,
    `${v.samplesPerStep.toFixed(2)} samples/step`,
    `${percent(v.redFlagRate)} red-flagged`,
  ];
  if (v.exhausted > 0) parts.push(`${count(v.exhausted)} exhausted`);
  if (v.stepsPerSecond !== undefined) parts.push(`${rate(v.stepsPerSecond)} steps/s`);
  if (v.etaMs !== undefined && !v.done) parts.push(`ETA ${formatMs(v.etaMs)}`);
  return parts.join(', ');
}

/** The progress line: `… solve: step …`, or `✓ solve: …` once the task is done. */
export function makerLine(v: MakerProgressView): string {
  return `${v.done ? '✓ MAKER' : '… MAKER'} ${v.stage}: ${makerProgressText(v)}`;
}
