import { describe, expect, it } from 'vitest';
import {
  type ArchRule,
  type ArchStage,
  classify,
  DECOMPOSABLE_THRESHOLD,
  ERROR_AMPLIFICATION,
  errorAmplification,
  type FeatureInput,
  type Measured,
  MIN_RECORDS,
  OVERHEAD,
  OVERHEAD_LIMIT_PCT,
  REDUNDANCY_LIMIT,
  SATURATION_THRESHOLD,
  SEQUENTIAL_THRESHOLD,
  SOURCE,
  selectArchitecture,
  shouldDegrade,
  TOOL_HEAVY_THRESHOLD,
  type Topology,
} from '../../../actors/coding/architecture.js';

const f = (decomposability: number, sequentialDependency: number, toolComplexity: number) => ({
  decomposability,
  sequentialDependency,
  toolComplexity,
});
const measured = (singleAgentSuccess: number, records = MIN_RECORDS): Measured => ({
  singleAgentSuccess,
  records,
});

describe('the thresholds and the paper figures', () => {
  it('should hold the figures of Kim et al. (arXiv:2512.08296) as golden data', () => {
    expect(SOURCE).toContain('arXiv:2512.08296');
    expect(OVERHEAD).toEqual({
      single: 0,
      independent: 58,
      decentralized: 263,
      centralized: 285,
      hybrid: 515,
    });
    expect(ERROR_AMPLIFICATION).toEqual({
      single: undefined,
      independent: 17.2,
      centralized: 4.4,
      decentralized: undefined,
      hybrid: undefined,
    });
    expect([
      SATURATION_THRESHOLD,
      SEQUENTIAL_THRESHOLD,
      DECOMPOSABLE_THRESHOLD,
      TOOL_HEAVY_THRESHOLD,
      MIN_RECORDS,
      OVERHEAD_LIMIT_PCT,
      REDUNDANCY_LIMIT,
    ]).toEqual([0.45, 0.6, 0.5, 0.5, 5, 300, 0.9]);
  });
});

describe('classify', () => {
  it('should bound each feature to [0, 1] and say so', () => {
    const c = classify({ decomposability: 1.7, sequentialDependency: -0.2, toolComplexity: 0.3 });
    expect(c.features).toEqual(f(1, 0, 0.3));
    expect(c.notes).toEqual([
      'decomposability: 1.7 is outside [0, 1], taken as 1',
      'sequentialDependency: -0.2 is outside [0, 1], taken as 0',
    ]);
    expect(c.records).toBe(0);
    expect(c.defaulted).toEqual([]);
    expect(c.singleAgentSuccess).toBeUndefined();
  });

  it('should take NaN, a missing feature or no number as 0.5, with a note', () => {
    const c = classify({ decomposability: Number.NaN, toolComplexity: '0.9' });
    expect(c.features).toEqual(f(0.5, 0.5, 0.5));
    expect(c.notes).toEqual([
      'decomposability: not a number (NaN), taken as 0.5',
      'sequentialDependency: missing, taken as 0.5',
      'toolComplexity: not a number (0.9), taken as 0.5',
    ]);
    expect(c.defaulted).toEqual(['decomposability', 'sequentialDependency', 'toolComplexity']);
    expect(c.inputs.features).toEqual({ decomposability: Number.NaN, toolComplexity: '0.9' });
  });

  it('should use the measured single-agent success only from MIN_RECORDS outcomes on', () => {
    expect(classify(f(0, 0, 0), measured(0.8, MIN_RECORDS)).singleAgentSuccess).toBe(0.8);
    const few = classify(f(0, 0, 0), measured(0.8, MIN_RECORDS - 1));
    expect(few.singleAgentSuccess).toBeUndefined();
    expect(few.records).toBe(4);
    expect(few.notes).toEqual([
      'measured single-agent success 0.8 rests on 4 outcome(s), fewer than 5: not used',
    ]);
    expect(classify(f(0, 0, 0), measured(1.5, 10)).notes).toEqual([
      'measured single-agent success 1.5 is not a rate in [0, 1]: not used',
    ]);
  });
});

type Extra = { measured?: Measured; verified?: boolean };
const V: Extra = { verified: true };

/** [topology, rule, stage, features, measured and verified, the case]. */
const golden: [Topology, ArchRule, ArchStage, FeatureInput, Extra, string][] = [
  // debug first, whatever else holds.
  ['single', 'debug', 'debug', f(0.9, 0.1, 0.9), V, 'decomposable, tool-heavy, verified'],
  ['single', 'debug', 'debug', f(0.9, 0, 0.9), { measured: measured(0.1) }, 'weak single agent'],
  // Rule A before B, C and D.
  ['single', 'A', 'analyze', f(0.9, 0.1, 0.9), { measured: measured(0.8) }, 'saturated, C-shaped'],
  ['single', 'A', 'implement', f(0.2, 0.1, 0.2), { ...V, measured: measured(0.5) }, 'saturated, D'],
  ['centralized', 'C', 'analyze', f(0.9, 0.1, 0.9), { measured: measured(0.8, 4) }, '4 records'],
  // Rule B before C and D.
  ['single', 'B', 'hypothesize', f(0.9, 0.8, 0.9), {}, 'sequential, decomposable, tool-heavy'],
  ['single', 'B', 'implement', f(0.2, 0.7, 0.2), V, 'sequential, verified implement'],
  // Rule C before D.
  ['centralized', 'C', 'analyze', f(0.7, 0.2, 0.8), {}, 'decomposable, tool-heavy analyze'],
  ['centralized', 'C', 'implement', f(0.7, 0.2, 0.8), V, 'decomposable, tool-heavy, verified'],
  ['centralized', 'C', 'improve', f(0.6, 0.3, 0.6), { measured: measured(0.2, 30) }, 'weak SAS'],
  [
    'centralized',
    'C',
    'analyze',
    { decomposability: 0.9, toolComplexity: 0.9 },
    {},
    'sequential dependency not given (0.5 < 0.6)',
  ],
  // Rule D: implement, verified.
  ['independent', 'D', 'implement', f(0.9, 0.1, 0.2), V, 'verified implement, not tool-heavy'],
  ['independent', 'D', 'implement', {}, V, 'verified implement, no features given'],
  // Otherwise one agent.
  ['single', 'default', 'implement', f(0.9, 0.1, 0.2), {}, 'unverified implement'],
  ['single', 'default', 'analyze', f(0.9, 0.1, 0.2), V, 'verified, but not implement'],
  ['single', 'default', 'improve', f(0.3, 0.1, 0.9), {}, 'tool-heavy, not decomposable'],
  ['single', 'default', 'analyze', {}, {}, 'no features: 0.5 is on the thresholds, no evidence'],
  [
    'single',
    'default',
    'analyze',
    { decomposability: 0.9, sequentialDependency: 0.1 },
    {},
    'tool complexity not given',
  ],
];

describe('selectArchitecture: the rules in the paper order', () => {
  it.each(golden)(
    'should choose $0 by rule $1 at $2: $5',
    (topology, rule, stage, features, extra) => {
      const s = selectArchitecture({ stage, features, ...extra });
      expect([s.topology, s.rule]).toEqual([topology, rule]);
      expect(s.inputs.stage).toBe(stage);
      expect(s.inputs.verified).toBe(extra.verified === true);
      expect(s.reason.length).toBeGreaterThan(20);
    },
  );

  it('should give the inputs it decided on and its reason in words', () => {
    const s = selectArchitecture({
      stage: 'analyze',
      features: { decomposability: 0.7, sequentialDependency: 0.2, toolComplexity: 1.4 },
      measured: measured(0.3, 12),
    });
    expect(s).toEqual({
      topology: 'centralized',
      rule: 'C',
      reason:
        'decomposable (0.7 ≥ 0.5) and tool-heavy (1 ≥ 0.5): a lead and a pool, whose lead checks the parts (error amplification 4.4× centralized against 17.2× independent)',
      inputs: {
        stage: 'analyze',
        verified: false,
        features: f(0.7, 0.2, 1),
        singleAgentSuccess: 0.3,
        records: 12,
        defaulted: [],
        notes: ['toolComplexity: 1.4 is outside [0, 1], taken as 1'],
      },
    });
    expect(selectArchitecture({ stage: 'debug', features: {} }).reason).toBe(
      'debugging is sequential: one agent (multi-agent variants lost 39–70% on sequential tasks)',
    );
    expect(
      selectArchitecture({ stage: 'implement', features: f(0.9, 0, 0), measured: measured(0.45) })
        .reason,
    ).toBe(
      'one agent already succeeds 45% of the time on this task family (5 outcomes), at or above the 45% where more agents stop paying (capability saturation)',
    );
    expect(
      selectArchitecture({ stage: 'analyze', features: { sequentialDependency: 0 } }).reason,
    ).toBe(
      'no rule calls for more than one agent (decomposability, toolComplexity not given: no evidence for a pool): one agent',
    );
    expect(selectArchitecture({ stage: 'implement', features: f(0, 0, 0) }).reason).toBe(
      'the candidates are not verified, and independent outputs are never synthesized unverified: one agent',
    );
  });
});

describe('selectArchitecture: boundaries', () => {
  // Decomposable and tool-heavy, so that below the saturation Rule C decides.
  const c = f(0.9, 0.1, 0.9);
  it.each([
    [0.44, 'centralized', 'C'],
    [0.45, 'single', 'A'],
    [0.46, 'single', 'A'],
    [9 / 20, 'single', 'A'],
    [45 / 100, 'single', 'A'],
  ] as const)('should apply Rule A at a measured success of %s: %s', (sas, topology, rule) => {
    const s = selectArchitecture({ stage: 'analyze', features: c, measured: measured(sas) });
    expect([s.topology, s.rule]).toEqual([topology, rule]);
  });

  it.each([
    [0.59, 'centralized', 'C'],
    [0.6, 'single', 'B'],
    [0.61, 'single', 'B'],
  ] as const)('should apply Rule B at a sequential dependency of %s', (seq, topology, rule) => {
    const s = selectArchitecture({ stage: 'analyze', features: f(0.9, seq, 0.9) });
    expect([s.topology, s.rule]).toEqual([topology, rule]);
  });

  it.each([
    [0.49, 0.9, 'single', 'default'],
    [0.5, 0.9, 'centralized', 'C'],
    [0.9, 0.49, 'single', 'default'],
    [0.9, 0.5, 'centralized', 'C'],
  ] as const)(
    'should apply Rule C at decomposability %s and tool complexity %s',
    (d, t, topology, rule) => {
      const s = selectArchitecture({ stage: 'improve', features: f(d, 0.1, t) });
      expect([s.topology, s.rule]).toEqual([topology, rule]);
    },
  );

  it('should trust a measured success from its fifth record, not its fourth', () => {
    const at = (records: number) =>
      selectArchitecture({ stage: 'analyze', features: c, measured: measured(0.9, records) }).rule;
    expect([at(4), at(5)]).toEqual(['C', 'A']);
  });
});

describe('shouldDegrade', () => {
  it('should fire for the paper hybrid overhead (515%) and not for decentralized (263%)', () => {
    const hybrid = shouldDegrade({ topology: 'hybrid', overheadPct: OVERHEAD.hybrid });
    expect(hybrid).toMatchObject({ degrade: true, to: 'single', triggers: ['overhead'] });
    expect(hybrid.reason).toBe(
      "back to one agent: relative overhead 515% exceeds 300% of the single agent's",
    );
    const decentralized = shouldDegrade({
      topology: 'decentralized',
      overheadPct: OVERHEAD.decentralized,
    });
    expect(decentralized.degrade).toBe(false);
    expect(decentralized.reason).toBe('decentralized pays its way: overhead 263% ≤ 300%');
    expect(shouldDegrade({ topology: 'centralized', overheadPct: 300 }).degrade).toBe(false);
    expect(shouldDegrade({ topology: 'centralized', overheadPct: 300.5 }).degrade).toBe(true);
  });

  it('should fire when the pool fails more often than one agent: amplification above 1', () => {
    const worse = shouldDegrade({ topology: 'independent', sasSuccess: 0.6, masSuccess: 0.5 });
    expect(worse).toMatchObject({ degrade: true, triggers: ['amplification'] });
    expect(worse.amplification).toBeCloseTo(1.25, 12);
    expect(worse.reason).toBe(
      'back to one agent: error amplification 1.25 exceeds 1: independent fails more often than one agent (50% against 60% success)',
    );
    const better = shouldDegrade({ topology: 'independent', sasSuccess: 0.6, masSuccess: 0.7 });
    expect(better.degrade).toBe(false);
    expect(better.amplification).toBeCloseTo(0.75, 12);
    expect(shouldDegrade({ topology: 'centralized', sasSuccess: 0.5, masSuccess: 0.5 })).toEqual(
      expect.objectContaining({ degrade: false, amplification: 1 }),
    );
  });

  it('should guard a single agent that never fails: Infinity if the pool fails at all, else 1', () => {
    expect(errorAmplification(1, 0.99)).toBe(Number.POSITIVE_INFINITY);
    expect(errorAmplification(1, 1)).toBe(1);
    expect(shouldDegrade({ topology: 'centralized', sasSuccess: 1, masSuccess: 0.9 })).toEqual(
      expect.objectContaining({ degrade: true, amplification: Number.POSITIVE_INFINITY }),
    );
    expect(shouldDegrade({ topology: 'centralized', sasSuccess: 1, masSuccess: 1 }).degrade).toBe(
      false,
    );
  });

  it('should fire when the candidates are near-identical, at a limit that is a parameter', () => {
    expect(shouldDegrade({ topology: 'independent', redundancy: 0.89 }).degrade).toBe(false);
    const same = shouldDegrade({ topology: 'independent', redundancy: 0.9 });
    expect(same).toMatchObject({ degrade: true, triggers: ['redundancy'] });
    expect(
      shouldDegrade({ topology: 'independent', redundancy: 0.85, redundancyLimit: 0.8 }).degrade,
    ).toBe(true);
  });

  it('should name every measure that fired, and never degrade one agent', () => {
    const all = shouldDegrade({
      topology: 'hybrid',
      overheadPct: 515,
      sasSuccess: 0.6,
      masSuccess: 0.2,
      redundancy: 0.95,
    });
    expect(all).toMatchObject({ triggers: ['overhead', 'amplification', 'redundancy'] });
    const single = shouldDegrade({
      topology: 'single',
      overheadPct: 900,
      sasSuccess: 0.9,
      masSuccess: 0,
      redundancy: 1,
    });
    expect(single).toEqual({
      degrade: false,
      reason: 'one agent already: nothing to degrade to',
      inputs: expect.objectContaining({ topology: 'single', overheadPct: 900 }),
    });
    expect(shouldDegrade({ topology: 'centralized' }).reason).toBe(
      'centralized pays its way: nothing measured against it',
    );
  });

  it('should refuse a rate outside [0, 1] or an overhead that is no number, naming the field', () => {
    expect(() => shouldDegrade({ topology: 'hybrid', sasSuccess: 1.2 })).toThrow(
      'shouldDegrade: sasSuccess must be in [0, 1] (got 1.2)',
    );
    expect(() => shouldDegrade({ topology: 'hybrid', redundancy: Number.NaN })).toThrow(
      'shouldDegrade: redundancy must be in [0, 1] (got NaN)',
    );
    expect(() => shouldDegrade({ topology: 'hybrid', overheadPct: Number.NaN })).toThrow(
      'shouldDegrade: overheadPct must be a finite number (got NaN)',
    );
  });
});
