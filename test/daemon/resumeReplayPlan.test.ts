/**
 * A resumed plan stage never asks an answered call again: the log of a plan stage is cut after
 * every one of its events, as a kill -9 there would leave it, and with a `mission.suspended`
 * after the cut, as a SIGTERM would; a daemon resumes each copy. Two stages: the GeniusLoop over
 * two approaches with a premortem that sends the plan back once, then three tasks of which two
 * run at once; and a plan revised around a task that fails (the board's synthesis, the replan,
 * its premortem). The planner's and the workers' provider counts its calls by call site: a site
 * the cut log has answers for (`genius.phase`, `genius.text`, an ok `agent.call`) is asked at
 * most what the uncut run asked of it less those answers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../../actors/providers/errors.js';
import type { Provider } from '../../actors/providers/provider.js';
import { registerProviderKind } from '../../actors/providers/providerKinds.js';
import { estimateUsage } from '../../actors/providers/usage.js';
import type { MissionConfig } from '../../config/mission.js';
import { daemonsPerTest, until } from '../helpers/daemonServer.js';
import { cutLog } from '../helpers/cutLog.js';
import { mission, runAndRead } from '../helpers/missions.js';

const serve = daemonsPerTest();

/** Every call the provider got, by call site: the caller without its `#attempt` tail. */
const calls: string[] = [];
const json = (v: unknown) => JSON.stringify(v);
const step = (id: string, dependsOn: string[] = [], prompt = `Do ${id}.`) => ({
  id,
  title: `Step ${id}`,
  prompt,
  dependsOn,
});

/** What the planner and the workers answer, from the call's site and the prompt's words. */
function answer(caller: string, prompt: string): string {
  const site = caller.split('#')[0]!;
  const label = site.split('/').at(-1)!;
  const failing = prompt.includes('recover from w');
  if (site.endsWith('/deconstruct'))
    return json({ problem: 'p', constraints: [], assumptions: [], minimalSolution: 'm' });
  if (site.includes('/simulate/'))
    return json({ approach: label, summary: `via ${label}`, steps: ['one'], risks: [] });
  if (site.includes('/stressTest/'))
    return json({ approach: label, weaknesses: [], score: label === 'a' ? 7 : 5, fatal: false });
  if (site.endsWith('/synthesize'))
    return failing
      ? json({ confidence: 0.8, steps: [step('x'), step('w', ['x'])] })
      : json({ confidence: 0.8, steps: [step('x'), step('y'), step('z', ['x', 'y'])] });
  // The first plan has a fatal flaw; the revised one (its z says so) has none.
  if (site.endsWith('/premortem'))
    return json({
      fatalFlaws: failing || prompt.includes('Do z, revised.') ? [] : ['z is too vague'],
    });
  if (/\/revise(\/replan)?$/.test(site))
    return failing
      ? json({ confidence: 0.7, steps: [step('v', ['x'], 'Do v instead of w.')] })
      : json({
          confidence: 0.9,
          steps: [step('x'), step('y'), step('z', ['x', 'y'], 'Do z, revised.')],
        });
  if (site.endsWith('/boardSynthesis')) return 'w cannot be done: do v instead.';
  if (site.endsWith('/finalSynthesis')) return 'the tasks are done.';
  const task = /\/task\/([^/]+)\//.exec(site)?.[1];
  if (task === 'w') throw new ProviderError('model', 'crash', 'w cannot be done');
  if (task !== undefined) return `${task} done`;
  throw new Error(`no answer for '${caller}'`);
}

registerProviderKind('countedPlan', {
  schema: z.strictObject({}),
  create: (id): Provider => ({
    id,
    kind: 'countedPlan',
    complete: async (request) => {
      calls.push(request.caller!.split('#')[0]!);
      const text = answer(request.caller!, request.prompt);
      return {
        text,
        usage: estimateUsage(request.prompt, text),
        costUsd: 0,
        latencyMs: 0,
        provider: id,
        model: 'counted',
      };
    },
  }),
});

const planMission = (goal: string): MissionConfig =>
  mission({
    // A kind registered here: the config's types know only the built-in ones.
    providers: { model: { kind: 'countedPlan' } as never },
    agents: [
      { id: 'planner', provider: 'model' },
      { id: 'worker', provider: 'model' },
    ],
    stages: [
      {
        name: 'deliver',
        plan: { goal, planner: 'planner', approaches: ['a', 'b'], maxParallel: 2 },
      },
    ],
  });

/** How many times each site was called, in `sites`. */
const countBy = (sites: string[]) => {
  const n = new Map<string, number>();
  for (const s of sites) n.set(s, (n.get(s) ?? 0) + 1);
  return n;
};

/** The sites whose answers a log holds, with how many answers each. */
function answeredIn(lines: string[]): Map<string, number> {
  const sites: string[] = [];
  for (const e of lines.map((l) => JSON.parse(l))) {
    if (e.type === 'genius.phase' || e.type === 'genius.text')
      sites.push(`${e.path}/${e.phase}${e.label === undefined ? '' : `/${e.label}`}`);
    else if (e.type === 'agent.call' && e.ok) sites.push(e.path);
  }
  return countBy(sites);
}

/**
 * Runs `config` through, then resumes a copy of its log cut after every event (and one with a
 * `mission.suspended` after the cut) in a daemon: the answered calls each resume asked again, by
 * cut and site, and the calls the uncut run made.
 */
async function resumeEveryCut(config: MissionConfig) {
  const straight = await runAndRead(config);
  expect(straight.output.status, JSON.stringify(straight.output.error)).toBe('succeeded');
  const all = countBy(calls.splice(0));
  const lines = readFileSync(straight.eventLogFile, 'utf8').trim().split('\n');
  const finishedAt = lines.findIndex((l) => l.includes('"type":"mission.finished"'));
  const again: string[] = [];
  let resumed = 0;
  for (let cut = 1; cut < finishedAt + 1; cut++) {
    for (const suspended of [false, true]) {
      const prefix = lines.slice(0, cut);
      const answered = answeredIn(prefix);
      const { stateDir } = cutLog(prefix, suspended);
      const d = await serve({ stateDir });
      const status = await until(d, 'm1', 'succeeded');
      expect(status.result, `cut after line ${cut}`).toBe(straight.output.result);
      await d.close();
      // A site is asked at most what the uncut run asked of it less what the log answered; what
      // it is asked beyond that, up to those answers, is answered calls asked again.
      for (const [site, n] of countBy(calls.splice(0))) {
        const a = answered.get(site) ?? 0;
        const over = Math.min(a, n - ((all.get(site) ?? 0) - a));
        for (let i = 0; i < over; i++)
          again.push(`${cut}${suspended ? '+suspended' : ''}: ${site.split('/planner/')[1]}`);
      }
      resumed++;
    }
  }
  expect(resumed).toBe(2 * finishedAt);
  return { again, all };
}

const total = (n: Map<string, number>) => [...n.values()].reduce((a, b) => a + b, 0);

describe('resume replays a plan stage’s answered calls', () => {
  it('should ask no answered phase or task again, whichever event a kill -9 or a SIGTERM came after', async () => {
    const { again, all } = await resumeEveryCut(planMission('ship it'));
    // The loop's phases (2 approaches; a premortem that sent the plan back), 3 tasks, the synthesis.
    expect(total(all)).toBe(13);
    expect(again).toEqual([]);
  }, 120_000);

  it('should ask no answered call of a plan revised around a failed task again', async () => {
    const { again, all } = await resumeEveryCut(planMission('recover from w'));
    // The loop's phases, x, w failing twice (restarted once), the board's synthesis, the replan
    // and its premortem, v, the synthesis.
    expect(total(all)).toBe(15);
    expect(again).toEqual([]);
  }, 120_000);
});
