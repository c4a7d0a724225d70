import { describe, expect, it } from 'vitest';
import { hanoiTask, isParseFailure, type HanoiState } from '../../../actors/tasks/index.js';

describe('hanoi task', () => {
  it('should be a step task of kind hanoi with 2^n - 1 steps', () => {
    expect(hanoiTask.kind).toBe('hanoi');
    expect(hanoiTask.initialState({ disks: 3 })).toEqual({ pegs: [[3, 2, 1], [], []] });
    expect(hanoiTask.totalSteps?.({ disks: 20 })).toBe(1_048_575);
    expect(() => hanoiTask.totalSteps?.({ disks: 0 })).toThrow(
      'disks: expected an integer from 1 to 30, got 0',
    );
  });

  it('should be done when every disk is on peg 2', () => {
    expect(hanoiTask.isDone({ pegs: [[], [], [3, 2, 1]] }, 7)).toBe(true);
    expect(hanoiTask.isDone({ pegs: [[], [3, 2, 1], []] }, 7)).toBe(false);
    expect(hanoiTask.isDone({ pegs: [[3], [], [2, 1]] }, 3)).toBe(false);
  });

  it('should put the rules, the strategy, the previous move, the state and the format in the prompt', () => {
    const state: HanoiState = { pegs: [[3, 2], [], [1]] };
    const prompt = hanoiTask.prompt(state, 1, '[1,0,2]');
    expect(prompt).toContain('Tower of Hanoi with 3 disks');
    expect(prompt).toContain('never onto a smaller disk');
    expect(prompt).toContain('move disk 1 one peg along 0 -> 2 -> 1 -> 0');
    expect(prompt).toContain('the only legal move that does not move disk 1');
    expect(prompt).toContain('\nPrevious move: [1,0,2]\n');
    expect(prompt).toContain('\nCurrent state: [[3,2],[],[1]]\n');
    expect(prompt.endsWith('\nmove = [disk, from, to]\nnext_state = [[...], [...], [...]]')).toBe(
      true,
    );
  });

  it('should say none before the first move, and the even-n cycle', () => {
    const prompt = hanoiTask.prompt(hanoiTask.initialState({ disks: 20 }), 0, undefined);
    expect(prompt).toContain('\nPrevious move: none\n');
    expect(prompt).toContain(
      'Current state: [[20,19,18,17,16,15,14,13,12,11,10,9,8,7,6,5,4,3,2,1],[],[]]',
    );
    expect(prompt).toContain('along 0 -> 1 -> 2 -> 0');
    expect(prompt.length).toBeLessThan(800);
  });

  it("should chain: the parsed answer is the next prompt's previous move", () => {
    const s0 = hanoiTask.initialState({ disks: 2 });
    const r = hanoiTask.parse('move = [1, 0, 1]\nnext_state = [[2], [1], []]', s0);
    if (isParseFailure(r)) throw new Error(r.error);
    expect(hanoiTask.prompt(r.nextState, 1, r.answer)).toContain(
      'Previous move: [1,0,1]\nCurrent state: [[2],[1],[]]',
    );
  });
});
