/**
 * The prompt for one Hanoi step, modelled on MAKER's: the rules, the strategy in plain words, the
 * previous move, the current state and the exact output format. It is sent millions of times, so
 * it is short, and everything but the last lines is built once per disk count.
 */
import { diskCount, diskOneStride, formatPegs, type HanoiState } from './hanoiRules.js';

/** The line labels the simulated model reads back; change them together with `hanoiSimulator.ts`. */
export const PREVIOUS_LABEL = '\nPrevious move: ';
export const STATE_LABEL = '\nCurrent state: ';

const FOOTER = [
  '',
  'Find the next move by the strategy and the state it leads to. Reply with exactly these two lines, nothing else:',
  'move = [disk, from, to]',
  'next_state = [[...], [...], [...]]',
].join('\n');

const headers: string[] = [];

function header(n: number): string {
  let text = headers[n];
  if (text === undefined) {
    const cycle = diskOneStride(n) === 1 ? '0 -> 1 -> 2 -> 0' : '0 -> 2 -> 1 -> 0';
    text = [
      `Tower of Hanoi with ${n} disks, numbered 1 (smallest) to ${n} (largest), on pegs 0, 1 and 2.`,
      "A state lists each peg's disks from bottom to top. Goal: all disks on peg 2.",
      'Rules: move one disk at a time, only the top disk of a peg, never onto a smaller disk.',
      `Strategy: if the previous move did not move disk 1, or there is none, move disk 1 one peg along ${cycle}.`,
      'If it did, make the only legal move that does not move disk 1.',
    ].join('\n');
    headers[n] = text;
  }
  return text;
}

/** `previous` is the answer chosen at the step before (`[1,0,2]`), undefined at the first step. */
export function hanoiPrompt(state: HanoiState, previous: string | undefined): string {
  return `${header(diskCount(state))}${PREVIOUS_LABEL}${previous ?? 'none'}${STATE_LABEL}${formatPegs(state.pegs)}${FOOTER}`;
}
