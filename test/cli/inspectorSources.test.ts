/**
 * The inspector page's mission list and histories: the daemon's every mission (newest first,
 * by state and text, paged), each one's log as a timeline in words grouped by stage, the one
 * log of `run --inspect`, and the read rule under `--auth-reads` (the ws too).
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runMissionSource, timelineOf } from '../../cli/inspectorSources.js';
import { InspectorHub } from '../../inspector/hub.js';
import type { LoggedEvent } from '../../log/eventLog.js';
import { call, daemonsPerTest, daemonToken, submit, until } from '../helpers/daemonServer.js';
import { crashingMissionYaml, mission, runAndRead, tempDir } from '../helpers/missions.js';

const serve = daemonsPerTest();

const yaml = (name: string, reply: string) => `name: ${name}
providers:
  p: { kind: scripted, responses: ['${reply}'] }
agents: [{ id: writer, provider: p }]
stages:
  - { name: draft, prompt: 'write', agents: [writer] }
`;

describe('the inspector page reads of a daemon', () => {
  it('should list every mission newest first, filtered by state and text, and give each one its history in words by stage', async () => {
    const d = await serve();
    const ids: string[] = [];
    for (const [i, name] of ['alpha', 'beta', 'alpha-two'].entries()) {
      ids.push(await submit(d, yaml(name, `answer ${i}`)));
      await until(d, ids.at(-1)!, 'succeeded');
    }
    const crash = await submit(d, crashingMissionYaml);
    await until(d, crash, 'succeeded');
    const list = (await call(d, 'GET', '/missions.json')).json;
    expect(list.total).toBe(4);
    expect(list.missions.map((m: { id: string }) => m.id)).toEqual(
      [crash, ...ids].reverse().length === 4 ? [crash, ids[2], ids[1], ids[0]] : [],
    );
    const alphas = (await call(d, 'GET', '/missions.json?q=ALPHA&status=succeeded')).json;
    expect(alphas.missions.map((m: { name: string }) => m.name)).toEqual(['alpha-two', 'alpha']);
    expect((await call(d, 'GET', '/missions.json?status=failed')).json.total).toBe(0);
    const paged = (await call(d, 'GET', '/missions.json?limit=1&offset=3')).json;
    expect(paged).toMatchObject({ total: 4, offset: 3, missions: [{ id: ids[0] }] });

    const history = (await call(d, 'GET', `/timeline.json?mission=${crash}`)).json;
    const texts = history.entries.map((e: { text: string }) => e.text);
    expect(texts).toContain('mission succeeded');
    expect(texts).toContain(
      "↻ supervisor stage/draft restarts stage/draft/agent/writer (provider 'p': http 500: boom)",
    );
    const crashed = history.entries.find((e: { text: string }) => e.text.startsWith('✗ writer'));
    expect(crashed).toMatchObject({
      stage: 'draft',
      type: 'agent.call',
      raw: { type: 'agent.call', ok: false },
    });
    // Mission-wide events are not put in a stage.
    expect(
      history.entries.find((e: { type: string }) => e.type === 'mission.finished').stage,
    ).toBeUndefined();

    // A page at a time: `next` says where to go on, and the pages add up to the whole.
    const first = (await call(d, 'GET', `/timeline.json?mission=${crash}&limit=3`)).json;
    expect(first.entries).toHaveLength(3);
    const rest = (await call(d, 'GET', `/timeline.json?mission=${crash}&after=${first.next}`)).json;
    // Pages past the start (their lines read without the ones before them parsed) keep each
    // entry's stage and words.
    const key = (e: { seq: number; stage?: string; text: string }) => [e.seq, e.stage, e.text];
    expect([...first.entries, ...rest.entries].map(key)).toEqual(history.entries.map(key));
    expect((await call(d, 'GET', '/timeline.json?mission=nope')).status).toBe(404);
    expect((await call(d, 'GET', '/timeline.json')).status).toBe(400);
  });

  it('should refuse every read without the token under --auth-reads, the ws included, and serve it with the token', async () => {
    const d = await serve({ authReads: true });
    for (const path of ['/snapshot.json', '/missions.json', '/timeline.json?mission=x']) {
      const refused = await call(d, 'GET', path, { token: null });
      expect(refused.status, path).toBe(401);
      expect(refused.json.error).toContain('#token=');
    }
    expect((await call(d, 'GET', '/missions.json')).status).toBe(200);
    expect((await fetch(new URL(`/missions.json?token=${daemonToken}`, d.server.url))).status).toBe(
      200,
    );
    // The page itself stays open: it is what asks for the token.
    expect((await fetch(d.server.url)).status).toBe(200);
    const ws = d.server.url.replace('http', 'ws');
    const refusal = await new Promise<number>((resolve) => {
      const c = new WebSocket(`${ws}ws`);
      c.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      c.on('open', () => resolve(101));
    });
    expect(refusal).toBe(401);
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      const c = new WebSocket(`${ws}ws?token=${daemonToken}`);
      c.on('message', (m) => {
        resolve(JSON.parse(m.toString()));
        c.close();
      });
      c.on('error', reject);
    });
    expect(first.type).toBe('snapshot');
  });
});

describe('timelineOf and the run --inspect source', () => {
  it("should read a run's own log: its entries in order, in words, each decided MAKER vote left out (progress says them)", async () => {
    const stateDir = tempDir();
    const hub = new InspectorHub();
    const config = mission({
      providers: { p: { kind: 'scripted', responses: ['hi'] } },
      agents: [{ id: 'w', provider: 'p' }],
      stages: [{ name: 's', prompt: 'p', agents: ['w'] }],
    });
    const { output } = await runAndRead(config, { observer: hub, stateDir, missionId: 'm1' });
    expect(output.status).toBe('succeeded');
    const source = runMissionSource(hub, stateDir);
    expect((await source.list({})).missions.map((m) => m.id)).toEqual(['m1']);
    const page = await source.timeline('m1', 0, 100);
    expect(page!.entries.slice(0, 2).map((e) => e.text)).toEqual([
      'mission m1 submitted: test, 1 stage',
      'mission m1 started: stages s',
    ]);
    expect(page!.entries.map((e) => e.seq)).toEqual(
      [...page!.entries.map((e) => e.seq)].sort((a, b) => a - b),
    );
    expect(await source.timeline('../etc/passwd', 0, 10)).toBeUndefined();
    expect(await source.timeline('absent', 0, 10)).toBeUndefined();
    // Another mission's log in the same state dir is not this run's to show.
    const other = await runAndRead(config, { stateDir, missionId: 'other' });
    expect(other.output.status).toBe('succeeded');
    expect(await source.timeline('other', 0, 10)).toBeUndefined();

    const events = [
      {
        seq: 1,
        type: 'stage.entered',
        mission: 'h',
        stage: 'solve',
        index: 0,
        attempt: 1,
        agents: ['s'],
        maker: { kind: 'hanoi', disks: 3 },
      },
      {
        seq: 2,
        type: 'maker.vote',
        mission: 'h',
        path: 'mission/h/stage/solve/maker/s',
        step: 0,
        outcome: 'decided',
        samples: 3,
        answer: 'a',
      },
      {
        seq: 3,
        type: 'maker.vote',
        mission: 'h',
        path: 'mission/h/stage/solve/maker/s',
        step: 1,
        outcome: 'exhausted',
        samples: 9,
        k: 2,
      },
      { seq: 4, type: 'widget.spun', mission: 'h', note: '<script>alert(1)</script>' },
      null,
      {},
      { seq: 5, type: 'mission.started', mission: 'h' },
    ] as unknown as LoggedEvent[];
    const t = timelineOf('h', events, 0, 10);
    // Lines that parse but are no event are skipped; a record missing its fields still reads.
    expect(t.entries.map((e) => [e.seq, e.stage])).toEqual([
      [1, 'solve'],
      [3, 'solve'],
      [4, 'solve'],
      [5, undefined],
    ]);
    expect(t.entries[1]!.text).toMatch(/MAKER vote exhausted at step 1/);
    // An event this version does not know still reads as what it is; its text is data, never markup.
    expect(t.entries[2]!.text).toBe('· widget spun: note <script>alert(1)</script>');
  });
});
