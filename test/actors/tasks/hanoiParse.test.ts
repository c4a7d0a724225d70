import { describe, expect, it } from 'vitest';
import { hanoiTask, type HanoiState } from '../../../actors/tasks/index.js';

const start = (): HanoiState => ({ pegs: [[3, 2, 1], [], []] });
const parse = (text: string, state: HanoiState = start()) => hanoiTask.parse(text, state);
const error = (text: string, state?: HanoiState) =>
  (parse(text, state) as { error?: string }).error;

const good = 'move = [1, 0, 2]\nnext_state = [[3, 2], [], [1]]';

describe('hanoi strict parser', () => {
  it('should accept the two lines and normalize the answer to the move', () => {
    expect(parse(good)).toEqual({ answer: '[1,0,2]', nextState: { pegs: [[3, 2], [], [1]] } });
    expect(parse('move=[1,0,2]\nnext_state=[[3,2],[],[1]]')).toEqual(parse(good));
  });

  it('should allow blanks between tokens, whitespace around the answer and a CRLF', () => {
    for (const text of [
      `${good}\n`,
      `  \n${good}\n\n  `,
      'move =\t[ 1 ,0, 2 ]  \r\n  next_state = [ [3,2] , [ ] ,[1] ]',
    ]) {
      expect(parse(text)).toMatchObject({ answer: '[1,0,2]' });
    }
  });

  it('should not check the strategy: any legal, consistent move parses', () => {
    expect(parse('move = [1, 0, 1]\nnext_state = [[3, 2], [1], []]')).toMatchObject({
      answer: '[1,0,1]',
    });
  });

  it('should leave the given state alone', () => {
    const s = start();
    parse(good, s);
    expect(s).toEqual(start());
  });

  it.each([
    ['', "no 'move = [...]' line"],
    ['next_state = [[3, 2], [], [1]]', "no 'move = [...]' line"],
    ['move = [1, 0, 2]', "no 'next_state = [...]' line"],
    ['move = [1, 0, 2]\nthe state is [[3, 2], [], [1]]', "no 'next_state = [...]' line"],
    [`Sure! Here it is.\n${good}`, "extra text before 'move'"],
    ['{"move": [1, 0, 2], "next_state": [[3, 2], [], [1]]}', "extra text before 'move'"],
    [`${good}\nDone.`, 'extra text after next_state'],
    [`${good} ok`, 'extra text after next_state'],
    ['move = [1, 0, 2] (disk 1)\nnext_state = [[3, 2], [], [1]]', 'extra text after the move'],
    ['move = [1, 0, 2]\nso: next_state = [[3, 2], [], [1]]', 'extra text after the move'],
    ['move = [1, 0, 2]\n\nnext_state = [[3, 2], [], [1]]', 'extra text after the move'],
    ['move = [1, 0, 2] next_state = [[3, 2], [], [1]]', 'extra text after the move'],
    ['moves = [1, 0, 2]\nnext_state = [[3, 2], [], [1]]', 'malformed move'],
    ['move = 1, 0, 2\nnext_state = [[3, 2], [], [1]]', 'malformed move'],
    ['move = [1 0 2]\nnext_state = [[3, 2], [], [1]]', 'malformed move'],
    ['move = [1.0, 0, 2]\nnext_state = [[3, 2], [], [1]]', 'non-integer in move'],
    ['move = [disk 1, from 0, to 2]\nnext_state = [[3, 2], [], [1]]', 'non-integer in move'],
    ['move = [1, 0, 2e0]\nnext_state = [[3, 2], [], [1]]', 'non-integer in move'],
    ['move = [1, 0]\nnext_state = [[3, 2], [], [1]]', 'move needs 3 numbers'],
    ['move = [1, 0, 2, 2]\nnext_state = [[3, 2], [], [1]]', 'move needs 3 numbers'],
    ['move = [1, 0, 2]\nnext_state = [[3, 2.0], [], [1]]', 'non-integer in next_state'],
    ['move = [1, 0, 2]\nnext_state = [[3, "2"], [], [1]]', 'non-integer in next_state'],
    ['move = [1, 0, 2]\nnext_state = [[3, 2], [1]]', 'next_state needs 3 pegs'],
    ['move = [1, 0, 2]\nnext_state = [[3, 2], [], [1], []]', 'next_state needs 3 pegs'],
    ['move = [1, 0, 2]\nnext_state = [3, 2, 1]', 'malformed next_state'],
    ['move = [1, 0, 2]\nnext_state = [[3, 2], [], [1]', 'malformed next_state'],
  ])('should refuse %j: %s', (text, reason) => {
    expect(parse(text)).toEqual({ error: reason });
  });

  it.each([
    [
      'move = [2, 0, 1]\nnext_state = [[3, 1], [2], []]',
      'illegal move: disk 2 is not on top of peg 0',
    ],
    ['move = [1, 1, 2]\nnext_state = [[3, 2, 1], [], []]', 'illegal move: peg 1 is empty'],
    [
      'move = [1, 0, 0]\nnext_state = [[3, 2, 1], [], []]',
      'illegal move: from and to are the same peg',
    ],
    ['move = [1, 0, 3]\nnext_state = [[3, 2], [], [1]]', 'peg out of range in move: 3'],
    ['move = [1, -1, 2]\nnext_state = [[3, 2], [], [1]]', 'peg out of range in move: -1'],
  ])('should refuse the illegal move in %j', (text, reason) => {
    expect(error(text)).toBe(reason);
  });

  it('should refuse a disk put on a smaller one', () => {
    expect(
      error('move = [2, 0, 2]\nnext_state = [[3], [], [1, 2]]', { pegs: [[3, 2], [], [1]] }),
    ).toBe('illegal move: disk 2 onto smaller disk 1');
  });

  it.each([
    'move = [1, 0, 2]\nnext_state = [[3, 2], [1], []]',
    'move = [1, 0, 2]\nnext_state = [[3, 2, 1], [], []]',
    'move = [1, 0, 2]\nnext_state = [[2, 3], [], [1]]',
    'move = [1, 0, 2]\nnext_state = [[3, 2], [], [1, 4]]',
    `move = [1, 0, 2]\nnext_state = [[3, 2], [], [${Array.from({ length: 500 }, () => 1).join(', ')}]]`,
  ])('should refuse a next_state that does not follow: %j', (text) => {
    expect(error(text)).toBe('next_state does not follow from the move');
  });

  it('should fail fast on a long text', () => {
    const long = `${'Let me think. '.repeat(100_000)}\n${good}`;
    const t0 = performance.now();
    expect(error(long)).toBe("extra text before 'move'");
    expect(error(`${good}${' and more'.repeat(100_000)}`)).toBe('extra text after next_state');
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
