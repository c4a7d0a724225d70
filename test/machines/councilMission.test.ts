/**
 * Council stages run as missions: the example's deliberation (3-2, then 4-1 after a round, the
 * minority kept), a garbage answer as an abstention, a member that keeps crashing leaving the
 * council, and each onNoQuorum: plurality (said so), fail (the mission fails, no restart) and
 * escalate (a gate with the positions, only then).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { missionSchema, type MissionConfigInput } from '../../config/mission.js';
import type { MissionMachineEvent } from '../../machines/mission.js';
import { mission, runAndRead } from '../helpers/missions.js';

const EXAMPLE = join(import.meta.dirname, '../../examples/council.yaml');
const ballot = (answer: string, confidence = 0.7) =>
  JSON.stringify({ answer, rationale: `because ${answer}`, confidence });

/** Five members; member i answers `answers[i]` in each round in turn (the last one repeats). */
function council(
  answers: string[][],
  council: Record<string, unknown> = {},
  extra: {
    providers?: MissionConfigInput['providers'];
    agents?: MissionConfigInput['agents'];
  } = {},
) {
  const ids = answers.map((_, i) => `m${i}`);
  return mission({
    providers: {
      ...(Object.fromEntries(
        answers.map((rounds, i) => [`p${i}`, { kind: 'scripted', responses: rounds }]),
      ) as MissionConfigInput['providers']),
      ...extra.providers,
    },
    agents: [...ids.map((id, i) => ({ id, provider: `p${i}` })), ...(extra.agents ?? [])],
    stages: [{ name: 'decide', council: { question: 'Which one?', members: ids, ...council } }],
  });
}

const result = (output: { result?: string }) => JSON.parse(output.result ?? '{}');

describe('council stage', () => {
  it('should run the example: no quorum at 3-2, quorum at 4-1 after one round, the minority kept', async () => {
    const config = missionSchema.parse(parse(readFileSync(EXAMPLE, 'utf8')));
    const { output, events } = await runAndRead(config);
    expect(output.status).toBe('succeeded');
    const r = result(output);
    expect(r).toMatchObject({
      outcome: 'decided',
      decision: 'Postgres, partitioned by day',
      quorum: { agree: 2, of: 3, needed: 4, voters: 5 },
      metrics: { rounds: 1, agreement: [0.6, 0.8], leaderChanges: 0, calls: 11 },
    });
    expect(r.synthesis).toMatch(/^Postgres, partitioned by day\. Four of five members/);
    // the scribe was shown the decision, its reasons and the dissent
    const scribe = events.find((e) => e.type === 'agent.call' && e.agent === 'scribe');
    expect(scribe?.path).toMatch(/\/council\/members\/synthesis\/agent\/scribe$/);
    expect(r.dissent).toEqual([
      {
        answer: 'Kafka',
        size: 1,
        members: [
          {
            agent: 'ed',
            rationale: 'kept: the write rate matters more than the reads',
            confidence: 0.55,
          },
        ],
      },
    ]);
    const rounds = events.filter((e) => e.type === 'council.round');
    expect(
      rounds.map((e) => [
        e.round,
        e.outcome,
        e.positions.map((p: { members: string[] }) => p.members.length),
      ]),
    ).toEqual([
      [0, 'no_quorum', [3, 2]],
      [1, 'quorum', [4, 1]],
    ]);
    // round 1's roles rotate over the five: one each, one dissenter
    expect(rounds[1]!.casts.map((c: { role: string }) => c.role)).toEqual([
      'dissenter',
      'strategist',
      'analyst',
      'arbiter',
      'scribe',
    ]);
    // members saw the others anonymized
    const prompts = events.filter((e) => e.type === 'agent.call' && e.path?.includes('/round1.'));
    expect(prompts).toHaveLength(5);
  });

  it('should count a garbage answer as an abstention, not a vote', async () => {
    const { output, events } = await runAndRead(
      council([
        [ballot('A')],
        [ballot('A')],
        [ballot('A')],
        ['I think A, probably'],
        [ballot('B')],
      ]),
    );
    expect(output.status).toBe('succeeded');
    const r = result(output);
    // 3 of 4 voters meet 2/3; the abstention is named
    expect(r).toMatchObject({
      outcome: 'decided',
      decision: 'A',
      quorum: { voters: 4, needed: 3 },
    });
    expect(r.abstained).toEqual([{ agent: 'm3', reason: 'not a JSON object' }]);
    const round = events.find((e) => e.type === 'council.round');
    expect(round!.casts[3]).toEqual({
      agent: 'm3',
      role: 'member',
      abstained: 'not a JSON object',
    });
  });

  it('should let a member that keeps failing leave, and count the quorum over those who vote', async () => {
    const crash = { error: 'boom', errorKind: 'crash' };
    const config = council([
      [ballot('A')],
      [ballot('A')],
      [ballot('B')],
      [ballot('A')],
      [crash as never],
    ]);
    const { output, events } = await runAndRead(config);
    expect(output.status).toBe('succeeded');
    const r = result(output);
    expect(r.outcome).toBe('decided');
    expect(r.quorum).toMatchObject({ voters: 4, needed: 3 });
    expect(r.gone.map((g: { agent: string }) => g.agent)).toEqual(['m4']);
    const calls = events.filter((e) => e.type === 'agent.call' && e.agent === 'm4');
    // restarted once by its ballot's supervisor (intensity 1), then out
    expect(calls).toHaveLength(2);
  });

  it('should take the largest position with onNoQuorum plurality, and say so', async () => {
    const split = [[ballot('A')], [ballot('A')], [ballot('B')], [ballot('B')], [ballot('A')]];
    const { output } = await runAndRead(
      council(split, { rounds: 1, quorum: { agree: 4, of: 5 }, onNoQuorum: 'plurality' }),
    );
    expect(output.status).toBe('succeeded');
    expect(result(output)).toMatchObject({
      outcome: 'plurality',
      decision: 'A',
      metrics: { rounds: 1 },
    });
  });

  it('should fail the mission with onNoQuorum fail, asking nothing again', async () => {
    const split = [[ballot('A')], [ballot('A')], [ballot('B')], [ballot('B')], [ballot('C')]];
    const { output, events } = await runAndRead(council(split, { rounds: 1, onNoQuorum: 'fail' }));
    expect(output.status).toBe('failed');
    expect(output.error?.message).toContain(
      'the council reached no quorum (2/3 of 5 voters needs 4)',
    );
    expect(events.filter((e) => e.type === 'council.round')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'agent.call')).toHaveLength(10);
  });

  it('should ask a judge about answers that differ once normalized, each pair once', async () => {
    const answers = [
      [ballot('Paris')],
      [ballot('paris!')],
      [ballot('Paris, France')],
      [ballot('It is Paris')],
      [ballot('Lyon')],
    ];
    const withJudge = (verdict: boolean) =>
      council(
        answers,
        { rounds: 1, onNoQuorum: 'plurality', agreement: { kind: 'judge', agent: 'judge' } },
        {
          providers: {
            j: { kind: 'scripted', responses: [JSON.stringify({ same: verdict, reason: 'r' })] },
          },
          agents: [{ id: 'judge', provider: 'j' }],
        },
      );
    const judgeCalls = (events: { type: string; agent?: string }[]) =>
      events.filter((e) => e.type === 'agent.call' && e.agent === 'judge').length;
    // the judge finds every pair the same: one position of 5
    const all = await runAndRead(withJudge(true));
    expect(result(all.output)).toMatchObject({
      outcome: 'decided',
      decision: 'Paris',
      positions: [{ size: 5 }],
    });
    // 'Paris' and 'paris!' are the same without asking: 4 distinct answers, 6 pairs
    expect(judgeCalls(all.events)).toBe(6);
    // it finds none the same: 4 positions in both rounds, and round 1 asks no pair again
    const none = await runAndRead(withJudge(false));
    const r = result(none.output);
    expect(r.positions.map((p: { size: number }) => p.size)).toEqual([2, 1, 1, 1]);
    expect(r.metrics.rounds).toBe(1);
    expect(judgeCalls(none.events)).toBe(6);
  });

  it('should escalate to a gate with the positions only when no quorum is met', async () => {
    const split = [[ballot('A')], [ballot('A')], [ballot('B')], [ballot('B')], [ballot('C')]];
    const asked: string[] = [];
    const { output } = await answering(council(split, { rounds: 1 }), asked);
    expect(output.status).toBe('succeeded');
    expect(asked).toHaveLength(1);
    expect(JSON.parse(asked[0]!)).toMatchObject({
      outcome: 'escalated',
      positions: [{ size: 2 }, { size: 2 }, { size: 1 }],
    });
    // decided: no gate
    const agreed = [[ballot('A')], [ballot('A')], [ballot('A')], [ballot('A')], [ballot('B')]];
    const none: string[] = [];
    expect((await answering(council(agreed), none)).output.status).toBe('succeeded');
    expect(none).toEqual([]);
  });
});

/** Runs `config`, approving every gate it asks and keeping what each showed. */
function answering(config: ReturnType<typeof mission>, shown: string[]) {
  let send: ((e: MissionMachineEvent) => void) | undefined;
  return runAndRead(config, {
    onStart: (s) => (send = s),
    onEvent: (e) => {
      if (e.type !== 'approval.requested') return;
      shown.push(String(e.output));
      queueMicrotask(() =>
        send!({ type: 'gate.answered', id: e.id as string, decision: 'approve', by: 'test' }),
      );
    },
  });
}
