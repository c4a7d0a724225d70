/**
 * Does deliberation earn its cost? (issue 17's "Measure"; Smit et al., arXiv 2311.17371, found
 * debate often does not beat self-consistency.) Questions with a known answer from a small set;
 * five simulated members of known accuracy (0.6 to 0.8). Compared, per decision:
 *
 *   (a) the best member alone, one sample;
 *   (b) self-consistency: the majority of N samples of the best member (N = the council's mean
 *       samples per decision at 1 round, so the budget is the same), ties to the first;
 *   (c) the council, 1, 2 and 3 rounds: the same tally, quorum and role rotation as the council
 *       statechart (actors/council: `tallyRound`, `rolesOf`), 2/3 quorum of 5, escalation counted;
 *   (d) MAKER's first-to-ahead-by-k (k = 2, then 3) on the best member, capped at 30 samples.
 *
 * The members are a model, and the figures are only as good as it is. In the first round each
 * member answers alone: right at its accuracy, else one of the wrong answers (correlated errors:
 * a share of wrong answers is the same "attractive" wrong answer). In a deliberation round a
 * member who sees the others' answers keeps its own with probability `stubborn`, else takes the
 * answer most others gave, or, when the dissenter argued against the lead and the member is
 * right-leaning (its accuracy), re-derives the answer alone. Change the knobs to see where the
 * council helps (independent, diverse errors) and where it does not (shared errors, conformity).
 *
 * `--bias` adds each model's systematic error: per question, each member is stuck on a wrong
 * answer with that probability, which its own repeated samples (self-consistency, MAKER) cannot
 * correct and other models can.
 *
 *   npx tsx bench/council.ts [--questions 4000] [--seed 1] [--stubborn 0.5] [--attractive 0.5] [--bias 0]
 */
import { parseArgs } from 'node:util';
import type { Cast } from '../actors/council/ballot.js';
import { tallyRound } from '../actors/council/councilTally.js';
import { rolesOf } from '../actors/council/quorum.js';
import { mulberry32 } from '../actors/providers/random.js';
import { COUNCIL_ROLES } from '../config/council.js';

const { values: a } = parseArgs({
  options: {
    questions: { type: 'string', default: '4000' },
    seed: { type: 'string', default: '1' },
    stubborn: { type: 'string', default: '0.5' },
    attractive: { type: 'string', default: '0.5' },
    bias: { type: 'string', default: '0' },
  },
});
const QUESTIONS = Number(a.questions);
const STUBBORN = Number(a.stubborn);
const ATTRACTIVE = Number(a.attractive);
const BIAS = Number(a.bias);
const random = mulberry32(Number(a.seed));
const ACCURACY = [0.8, 0.75, 0.7, 0.65, 0.6];
const ANSWERS = ['right', 'wrong1', 'wrong2', 'wrong3'];
const QUORUM = { agree: 2, of: 3 };

/**
 * Which members are stuck on a wrong answer for the question at hand: a model's systematic
 * error (each member its own wrong answer, drawn per question with probability `--bias`), which no number of
 * its own samples corrects.
 */
let stuck: boolean[] = [];

/** One answer of member `i` (accuracy ACCURACY[i]) to the question at hand. */
function sample(i: number): string {
  if (stuck[i]) return ANSWERS[1 + (i % (ANSWERS.length - 1))]!;
  if (random() < ACCURACY[i]!) return 'right';
  if (random() < ATTRACTIVE) return 'wrong1';
  return ANSWERS[1 + Math.floor(random() * (ANSWERS.length - 1))]!;
}

const cast = (agent: string, answer: string): Cast => ({
  agent,
  answer,
  key: answer,
  hash: answer,
});

function majority(answers: string[]): string {
  const counts = new Map<string, number>();
  for (const x of answers) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].sort((x, y) => y[1] - x[1])[0]![0];
}

interface Decision {
  answer?: string;
  samples: number;
  escalated?: boolean;
}

function council(rounds: number): Decision {
  const ids = ACCURACY.map((_, i) => `m${i}`);
  let answers = ACCURACY.map((_, i) => sample(i));
  let samples = answers.length;
  for (let round = 0; ; round++) {
    const t = tallyRound(
      round,
      answers.map((x, i) => cast(ids[i]!, x)),
      {},
      { quorum: QUORUM, minMembers: 3 },
    );
    if (t.outcome.outcome === 'quorum') return { answer: t.positions[0]!.answer, samples };
    if (round === rounds) return { samples, escalated: true };
    const roles = rolesOf(round + 1, COUNCIL_ROLES, ids.length);
    const lead = t.positions[0]!.answer;
    answers = answers.map((own, i) => {
      const others = answers.filter((_, j) => j !== i);
      if (roles[i] === 'dissenter') return own === lead ? sample(i) : own;
      if (random() < STUBBORN) return own;
      // the dissenter's case against the lead makes a member think again, at its accuracy
      if (random() < 0.5) return sample(i);
      return majority(others);
    });
    samples += answers.length;
  }
}

function selfConsistency(n: number): Decision {
  return { answer: majority(Array.from({ length: n }, () => sample(0))), samples: n };
}

function maker(k: number, cap = 30): Decision {
  const counts = new Map<string, number>();
  for (let s = 1; s <= cap; s++) {
    const x = sample(0);
    counts.set(x, (counts.get(x) ?? 0) + 1);
    const sorted = [...counts.values()].sort((p, q) => q - p);
    if (sorted[0]! - (sorted[1] ?? 0) >= k)
      return { answer: [...counts].find(([, c]) => c === sorted[0])![0], samples: s };
  }
  return { samples: cap, escalated: true };
}

function measure(name: string, decide: () => Decision): { samples: number } {
  let right = 0;
  let wrong = 0;
  let escalated = 0;
  let samples = 0;
  for (let q = 0; q < QUESTIONS; q++) {
    stuck = ACCURACY.map(() => random() < BIAS);
    const d = decide();
    samples += d.samples;
    if (d.escalated) escalated++;
    else if (d.answer === 'right') right++;
    else wrong++;
  }
  const decided = right + wrong;
  const pct = (x: number, of: number) => (of === 0 ? '—' : `${((100 * x) / of).toFixed(1)}%`);
  console.log(
    `${name.padEnd(34)} accuracy ${pct(right, QUESTIONS).padStart(6)} of all, ${pct(right, decided).padStart(6)} of decided; ${(samples / QUESTIONS).toFixed(2).padStart(5)} samples/decision; escalated ${pct(escalated, QUESTIONS)}`,
  );
  return { samples: samples / QUESTIONS };
}

console.log(
  `council bench: ${QUESTIONS} questions, ${ANSWERS.length} answers, members at ${ACCURACY.join(', ')}; stubborn ${STUBBORN}, attractive wrong answer ${ATTRACTIVE}, systematic error ${BIAS}; quorum 2/3 of 5`,
);
measure('(a) best member alone', () => ({ answer: sample(0), samples: 1 }));
const c1 = measure('(c) council, 1 round', () => council(1));
const budget = Math.max(1, Math.round(c1.samples));
measure(`(b) self-consistency, ${budget} samples`, () => selfConsistency(budget));
measure('(c) council, 2 rounds', () => council(2));
measure('(c) council, 3 rounds', () => council(3));
measure('(d) MAKER first-to-ahead-by-2', () => maker(2));
measure('(d) MAKER first-to-ahead-by-3', () => maker(3));
