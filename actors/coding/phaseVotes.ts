/**
 * What a vote on a workflow phase's answer compares: what the phase decides, not its wording
 * (free text never matches word for word across samples), as plan phases do
 * (actors/planning/phaseCall.ts `phaseVoteKey`). Analyze decides where the failure is and what
 * kind of task it is; hypothesize, which cause comes first; debug, the failure's kind and the fix;
 * improve, which entries to keep.
 */
import { canonicalJson } from '../planning/phaseCall.js';
import type { Analysis, DebugStep, Hypotheses, Improvement } from './phaseSchemas.js';

const words = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9:./]+/g, ' ')
    .trim();
const tenth = (x: number) => Math.round(x * 10) / 10;

export const phaseVoteKeys = {
  analyze: (a: Analysis) =>
    canonicalJson({
      evidence: a.observations.map((o) => o.evidence.trim()).sort(),
      features: {
        d: tenth(a.features.decomposability),
        s: tenth(a.features.sequentialDependency),
        t: tenth(a.features.toolComplexity),
      },
    }),
  hypothesize: (h: Hypotheses) => words(h.hypotheses[0]?.statement ?? ''),
  debug: (d: DebugStep) => canonicalJson({ label: words(d.label), fix: d.fix?.edit ?? null }),
  improve: (i: Improvement) =>
    canonicalJson(i.entries.map((e) => `${e.kind}:${words(e.title)}`).sort()),
};
