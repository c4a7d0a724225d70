/**
 * The Towers of Hanoi itself: states, legal moves, the strategy MAKER's models are told to follow,
 * and the true solution. Pegs are 0, 1 and 2, each listed bottom to top; disks are numbered 1
 * (smallest) to n. The tower starts on peg 0 and must end on peg 2.
 */
import { SystemError, UserError } from '../../kernel/errors.js';

export type Pegs = [number[], number[], number[]];

export interface HanoiState {
  pegs: Pegs;
}

/** `[disk, from, to]`, as the models write it. */
export type HanoiMove = readonly [disk: number, from: number, to: number];

/** 2^30 − 1 moves is already far past any benchmark; bit tricks below stay within int32. */
export const MAX_DISKS = 30;

/** `applyMove` was given a move the rules forbid. `reason` is what `parse` reports for it. */
export class IllegalMoveError extends SystemError {
  override name = 'IllegalMoveError';
  constructor(
    readonly move: HanoiMove,
    readonly reason: string,
  ) {
    super(`${reason}: [${move.join(',')}]`);
  }
}

export function checkDisks(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_DISKS) {
    throw new UserError(`disks: expected an integer from 1 to ${MAX_DISKS}, got ${n}`);
  }
}

export function hanoiInitialState(n: number): HanoiState {
  checkDisks(n);
  const first: number[] = [];
  for (let d = n; d >= 1; d--) first.push(d);
  return { pegs: [first, [], []] };
}

export function diskCount(state: HanoiState): number {
  const [a, b, c] = state.pegs;
  return a.length + b.length + c.length;
}

/** All disks on peg 2. */
export function isSolved(state: HanoiState): boolean {
  return state.pegs[0].length === 0 && state.pegs[1].length === 0;
}

function top(peg: number[]): number | undefined {
  return peg[peg.length - 1];
}

/** Why a move is illegal in `pegs`, or undefined when it is legal. */
export function moveIllegality(
  pegs: Pegs,
  disk: number,
  from: number,
  to: number,
): string | undefined {
  if (!isPeg(from)) return `peg out of range in move: ${from}`;
  if (!isPeg(to)) return `peg out of range in move: ${to}`;
  if (from === to) return 'illegal move: from and to are the same peg';
  const moved = top(pegs[from]!);
  if (moved === undefined) return `illegal move: peg ${from} is empty`;
  if (moved !== disk) return `illegal move: disk ${disk} is not on top of peg ${from}`;
  const under = top(pegs[to]!);
  if (under !== undefined && under < disk)
    return `illegal move: disk ${disk} onto smaller disk ${under}`;
  return undefined;
}

function isPeg(p: number): boolean {
  return p === 0 || p === 1 || p === 2;
}

/** The state after a move already known to be legal; `state` is left untouched. */
export function applyLegalMove(state: HanoiState, from: number, to: number): HanoiState {
  const pegs: Pegs = [state.pegs[0].slice(), state.pegs[1].slice(), state.pegs[2].slice()];
  pegs[to]!.push(pegs[from]!.pop()!);
  return { pegs };
}

/** The state after `move`; throws `IllegalMoveError` when the rules forbid it. */
export function applyMove(state: HanoiState, move: HanoiMove): HanoiState {
  const [disk, from, to] = move;
  const reason = moveIllegality(state.pegs, disk, from, to);
  if (reason !== undefined) throw new IllegalMoveError(move, reason);
  return applyLegalMove(state, from, to);
}

/** How far disk 1 travels each time, mod 3: 0→1→2→0 for even n, 0→2→1→0 for odd n, so the tower ends on peg 2. */
export function diskOneStride(n: number): 1 | 2 {
  return n % 2 === 0 ? 1 : 2;
}

function diskOnePeg(pegs: Pegs): number {
  if (top(pegs[0]) === 1) return 0;
  if (top(pegs[1]) === 1) return 1;
  if (top(pegs[2]) === 1) return 2;
  return -1;
}

/** Disk 1 one peg along its cycle. */
export function diskOneMove(pegs: Pegs, n: number): HanoiMove {
  const from = diskOnePeg(pegs);
  if (from < 0) throw new UserError('hanoi: disk 1 is on no peg');
  return [1, from, (from + diskOneStride(n)) % 3];
}

/** The only legal move that does not involve disk 1, or undefined when every disk sits on disk 1's peg. */
export function otherMove(pegs: Pegs): HanoiMove | undefined {
  const one = diskOnePeg(pegs);
  const a = (one + 1) % 3;
  const b = (one + 2) % 3;
  const ta = top(pegs[a]!) ?? Infinity;
  const tb = top(pegs[b]!) ?? Infinity;
  if (ta === Infinity && tb === Infinity) return undefined;
  return ta < tb ? [ta, a, b] : [tb, b, a];
}

/**
 * The strategy's move number `moveIndex` (0-based): disk 1 along its cycle on even indices (the
 * 1st, 3rd, ... move), the only legal move without disk 1 on odd ones.
 */
export function hanoiNextMove(state: HanoiState, moveIndex: number): HanoiMove {
  if (moveIndex % 2 === 0) return diskOneMove(state.pegs, diskCount(state));
  const move = otherMove(state.pegs);
  if (!move) throw new UserError(`hanoi: no legal move without disk 1 at move ${moveIndex}`);
  return move;
}

/** The legal moves in a fixed order: disk 1 along its cycle, disk 1 against it, then the other move. */
export function legalMoves(state: HanoiState): HanoiMove[] {
  const forward = diskOneMove(state.pegs, diskCount(state));
  const moves: HanoiMove[] = [forward, [1, forward[1], 3 - forward[1] - forward[2]]];
  const other = otherMove(state.pegs);
  if (other) moves.push(other);
  return moves;
}

const MIRROR = [0, 2, 1] as const;

/**
 * The true moves for n disks, one at a time and without any state: move m (1-based) moves disk
 * ctz(m) + 1 from (m & (m − 1)) mod 3 to ((m | (m − 1)) + 1) mod 3. That closed form sends the
 * tower to peg 2 for odd n; for even n pegs 1 and 2 are swapped. Independent of `hanoiNextMove`,
 * so each checks the other.
 */
export function* hanoiSolution(n: number): Generator<HanoiMove, void, undefined> {
  checkDisks(n);
  const total = 2 ** n - 1;
  const mirror = n % 2 === 0;
  for (let m = 1; m <= total; m++) {
    const disk = 32 - Math.clz32(m & -m);
    const from = (m & (m - 1)) % 3;
    const to = ((m | (m - 1)) + 1) % 3;
    yield mirror ? [disk, MIRROR[from]!, MIRROR[to]!] : [disk, from, to];
  }
}

/** `[[3,2],[],[1]]`, with `sep` between numbers and between pegs. */
export function formatPegs(pegs: Pegs, sep = ','): string {
  return `[[${pegs[0].join(sep)}]${sep}[${pegs[1].join(sep)}]${sep}[${pegs[2].join(sep)}]]`;
}

/** The canonical answer: the move, `[1,0,2]`. */
export function formatMove(move: HanoiMove): string {
  return `[${move[0]},${move[1]},${move[2]}]`;
}
