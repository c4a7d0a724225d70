/**
 * The strict parser for one Hanoi step: exactly
 *
 *     move = [disk, from, to]
 *     next_state = [[...], [...], [...]]
 *
 * with spaces or tabs allowed between tokens and whitespace around the whole, nothing else. The
 * move must be legal and next_state must be what it leads to. Whether it is the strategy's move is
 * not checked here: that is the vote's job. It runs millions of times in a benchmark, so it is a
 * hand-written scanner over char codes: no regular expression, no JSON.parse, no array for the
 * numbers it reads (a scratch buffer: parsing is synchronous, so it is never shared).
 */
import type { StepParse, StepParseFailure } from './stepTask.js';
import { applyLegalMove, formatMove, moveIllegality, type HanoiState } from './hanoiRules.js';

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const COMMA = 44;
const MINUS = 45;
const OPEN = 91;
const CLOSE = 93;
const EQUALS = 61;
const ZERO = 48;
const NINE = 57;

/** Numbers read by `list`, from `offset` on; past its end they are counted, not kept. */
const scratch = new Int32Array(64);
/** How many numbers the last `list` read. */
let listed = 0;

const MALFORMED = -1;
const NON_INTEGER = -2;

function at(text: string, i: number, end: number): number {
  return i < end ? text.charCodeAt(i) : -1;
}

function blanks(text: string, i: number, end: number): number {
  for (let c = at(text, i, end); c === SPACE || c === TAB; c = at(text, ++i, end));
  return i;
}

/**
 * `[a, b, c]` at `i` (after blanks): its numbers into `scratch` from `offset`, their count into
 * `listed`; returns the index after `]`, or MALFORMED or NON_INTEGER.
 */
function list(text: string, i: number, end: number, offset: number): number {
  listed = 0;
  i = blanks(text, i, end);
  if (at(text, i, end) !== OPEN) return MALFORMED;
  i = blanks(text, i + 1, end);
  if (at(text, i, end) === CLOSE) return i + 1;
  for (;;) {
    let c = at(text, i, end);
    const negative = c === MINUS;
    if (negative) c = at(text, ++i, end);
    if (!(c >= ZERO && c <= NINE)) return NON_INTEGER;
    let v = 0;
    for (; c >= ZERO && c <= NINE; c = at(text, ++i, end)) if (v < 1e8) v = v * 10 + (c - ZERO);
    if (c !== COMMA && c !== CLOSE && c !== SPACE && c !== TAB) return NON_INTEGER;
    if (offset + listed < scratch.length) scratch[offset + listed] = negative ? -v : v;
    listed++;
    i = blanks(text, i, end);
    c = at(text, i, end);
    if (c === CLOSE) return i + 1;
    if (c !== COMMA) return MALFORMED;
    i = blanks(text, i + 1, end);
  }
}

/** The index after `name =` at `i`, or -1. */
function label(text: string, i: number, end: number, name: string): number {
  if (!text.startsWith(name, i)) return -1;
  i = blanks(text, i + name.length, end);
  return at(text, i, end) === EQUALS ? i + 1 : -1;
}

function listError(code: number, what: string): StepParseFailure {
  return { error: code === NON_INTEGER ? `non-integer in ${what}` : `malformed ${what}` };
}

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

export function parseHanoiAnswer(
  text: string,
  state: HanoiState,
): StepParse<HanoiState> | StepParseFailure {
  let i = 0;
  let end = text.length;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  while (end > i && isSpace(text.charCodeAt(end - 1))) end--;

  if (!text.startsWith('move', i)) {
    return {
      error: text.indexOf('move', i) >= 0 ? "extra text before 'move'" : "no 'move = [...]' line",
    };
  }
  i = label(text, i, end, 'move');
  if (i < 0) return { error: 'malformed move' };
  i = list(text, i, end, 0);
  if (i < 0) return listError(i, 'move');
  if (listed !== 3) return { error: 'move needs 3 numbers' };
  const disk = scratch[0]!;
  const from = scratch[1]!;
  const to = scratch[2]!;

  i = blanks(text, i, end);
  if (at(text, i, end) === CR) i++;
  if (i >= end) return { error: "no 'next_state = [...]' line" };
  if (text.charCodeAt(i) !== LF) return { error: 'extra text after the move' };
  i = blanks(text, i + 1, end);
  if (!text.startsWith('next_state', i)) {
    return {
      error:
        text.indexOf('next_state', i) >= 0
          ? 'extra text after the move'
          : "no 'next_state = [...]' line",
    };
  }
  i = label(text, i, end, 'next_state');
  if (i < 0) return { error: 'malformed next_state' };
  i = blanks(text, i, end);
  if (at(text, i, end) !== OPEN) return { error: 'malformed next_state' };
  i++;
  // The pegs' numbers go to scratch one after the other; their lengths are kept here.
  let total = 0;
  let a = 0;
  let b = 0;
  for (let p = 0; p < 3; p++) {
    if (p > 0) {
      i = blanks(text, i, end);
      const c = at(text, i, end);
      if (c !== COMMA)
        return { error: c === CLOSE ? 'next_state needs 3 pegs' : 'malformed next_state' };
      i++;
    }
    i = list(text, i, end, total);
    if (i < 0) return listError(i, 'next_state');
    if (p === 0) a = listed;
    else if (p === 1) b = listed;
    total += listed;
  }
  i = blanks(text, i, end);
  const c = at(text, i, end);
  if (c !== CLOSE)
    return { error: c === COMMA ? 'next_state needs 3 pegs' : 'malformed next_state' };
  if (i + 1 !== end) return { error: 'extra text after next_state' };

  const illegal = moveIllegality(state.pegs, disk, from, to);
  if (illegal !== undefined) return { error: illegal };
  const nextState = applyLegalMove(state, from, to);
  const [p0, p1, p2] = nextState.pegs;
  if (p0.length !== a || p1.length !== b || p2.length !== total - a - b || total > scratch.length) {
    return { error: 'next_state does not follow from the move' };
  }
  if (!matches(p0, 0) || !matches(p1, a) || !matches(p2, a + b))
    return { error: 'next_state does not follow from the move' };
  return { answer: formatMove([disk, from, to]), nextState };
}

function matches(peg: number[], offset: number): boolean {
  for (let j = 0; j < peg.length; j++) if (peg[j] !== scratch[offset + j]) return false;
  return true;
}
