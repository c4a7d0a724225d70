import { describe, expect, it } from 'vitest';
import { UserError } from '../../../kernel/errors.js';
import {
  IllegalMoveError,
  applyMove,
  hanoiInitialState,
  hanoiNextMove,
  hanoiSolution,
  isSolved,
  legalMoves,
  type HanoiState,
} from '../../../actors/tasks/index.js';

const state = (a: number[], b: number[], c: number[]): HanoiState => ({ pegs: [a, b, c] });

describe('hanoi rules', () => {
  it('should start with every disk on peg 0, largest at the bottom', () => {
    expect(hanoiInitialState(4)).toEqual(state([4, 3, 2, 1], [], []));
    expect(isSolved(hanoiInitialState(4))).toBe(false);
    expect(isSolved(state([], [], [2, 1]))).toBe(true);
  });

  it('should refuse a disk count outside 1..30', () => {
    expect(() => hanoiInitialState(0)).toThrow(UserError);
    expect(() => hanoiInitialState(2.5)).toThrow(
      'disks: expected an integer from 1 to 30, got 2.5',
    );
    expect(() => hanoiInitialState(31)).toThrow('disks: expected an integer from 1 to 30, got 31');
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('should solve %i disks in 2^n - 1 legal moves', (n) => {
    let s = hanoiInitialState(n);
    let moves = 0;
    for (const move of hanoiSolution(n)) {
      s = applyMove(s, move); // throws on an illegal move
      moves++;
    }
    expect(moves).toBe(2 ** n - 1);
    expect(isSolved(s)).toBe(true);
  });

  it.each([9, 10])('should agree with the true solution at every step of %i disks', (n) => {
    let s = hanoiInitialState(n);
    let i = 0;
    for (const move of hanoiSolution(n)) {
      expect(hanoiNextMove(s, i)).toEqual(move);
      s = applyMove(s, move);
      i++;
    }
  });

  it('should cycle disk 1 0→1→2 for even n and 0→2→1 for odd n', () => {
    expect(hanoiNextMove(hanoiInitialState(2), 0)).toEqual([1, 0, 1]);
    expect(hanoiNextMove(hanoiInitialState(3), 0)).toEqual([1, 0, 2]);
    expect(hanoiNextMove(state([3, 2], [], [1]), 2)).toEqual([1, 2, 1]);
  });

  it('should make the only move without disk 1 on odd move indices', () => {
    expect(hanoiNextMove(state([3, 2], [], [1]), 1)).toEqual([2, 0, 1]);
    expect(hanoiNextMove(state([3], [2, 1], []), 3)).toEqual([3, 0, 2]);
    expect(() => hanoiNextMove(state([2, 1], [], []), 1)).toThrow(
      'hanoi: no legal move without disk 1 at move 1',
    );
  });

  it('should throw on an illegal move, naming why, and leave the state alone', () => {
    const s = state([3, 2], [], [1]);
    const cases: [readonly [number, number, number], string][] = [
      [[2, 0, 2], 'illegal move: disk 2 onto smaller disk 1'],
      [[1, 1, 0], 'illegal move: peg 1 is empty'],
      [[3, 0, 1], 'illegal move: disk 3 is not on top of peg 0'],
      [[2, 0, 0], 'illegal move: from and to are the same peg'],
      [[2, 0, 3], 'peg out of range in move: 3'],
    ];
    for (const [move, reason] of cases) {
      expect(() => applyMove(s, move)).toThrow(new IllegalMoveError(move, reason));
      expect(() => applyMove(s, move)).toThrow(`${reason}: [${move.join(',')}]`);
    }
    expect(applyMove(s, [2, 0, 1])).toEqual(state([3], [2], [1]));
    expect(s).toEqual(state([3, 2], [], [1]));
  });

  it('should list the legal moves: disk 1 along its cycle, against it, then the other move', () => {
    expect(legalMoves(state([3, 2], [], [1]))).toEqual([
      [1, 2, 1],
      [1, 2, 0],
      [2, 0, 1],
    ]);
    expect(legalMoves(hanoiInitialState(3))).toEqual([
      [1, 0, 2],
      [1, 0, 1],
    ]);
  });
});
