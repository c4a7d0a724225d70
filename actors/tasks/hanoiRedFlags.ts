/**
 * The red flags the simulated Hanoi model raises: answers the strict parser refuses, and rambling
 * ones long enough for any length limit. Each kind is one a real model produces.
 */
import { applyLegalMove, formatPegs, type HanoiMove, type HanoiState } from './hanoiRules.js';

/** Longer than the 2,000 characters a benchmark's length red flag is set to. */
export const RAMBLING_MIN_CHARS = 2_001;

const RAMBLE = buildRamble();

function buildRamble(): string {
  const sentences = [
    'Let me think about this carefully, one peg at a time.',
    'The smallest disk moves every other turn, so I should check which turn this is.',
    'Wait, maybe I should double-check the previous move before deciding.',
    'Actually, let me reconsider the whole position from the beginning.',
  ];
  let text = '';
  for (let i = 0; text.length < RAMBLING_MIN_CHARS; i++)
    text += `${sentences[i % sentences.length]} `;
  return `${text}\n`;
}

/** A long hesitation before the answer: over 2,000 characters. */
export function ramblingAnswer(answer: string): string {
  return RAMBLE + answer;
}

/**
 * One of five malformed answers for `move`, chosen by `variant` in [0, 1): chatter before the
 * lines, the move alone, JSON, words inside the move, or a next_state that does not follow.
 */
export function malformedAnswer(state: HanoiState, move: HanoiMove, variant: number): string {
  const [d, f, t] = move;
  const next = formatPegs(applyLegalMove(state, f, t).pegs, ', ');
  switch (Math.min(4, Math.floor(variant * 5))) {
    case 0:
      return `Sure! Here is the next move.\nmove = [${d}, ${f}, ${t}]\nnext_state = ${next}`;
    case 1:
      return `move = [${d}, ${f}, ${t}]`;
    case 2:
      return `{"move": [${d}, ${f}, ${t}], "next_state": ${next}}`;
    case 3:
      return `move = [disk ${d}, from ${f}, to ${t}]\nnext_state = ${next}`;
    default:
      return `move = [${d}, ${f}, ${t}]\nnext_state = ${formatPegs(state.pegs, ', ')}`;
  }
}
