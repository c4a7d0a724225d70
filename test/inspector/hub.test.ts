import {
  createActor,
  createMachine,
  fromPromise,
  setup,
  spawnChild,
  type AnyActorRef,
} from 'xstate';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { InspectorHub } from '../../inspector/hub.js';
import type { InspectorDelta, InspectorNode } from '../../inspector/types.js';
import { makerVoteMachine } from '../../machines/makerVote.js';
import type { ChildSpec } from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { inspectedTree } from './hubTree.js';

const worker = (name: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log: [] } },
  ...extra,
});
const byId = (nodes: InspectorNode[]) => Object.fromEntries(nodes.map((n) => [n.id, n]));

const toggle = createMachine({
  id: 'toggle',
  initial: 'a',
  states: { a: { on: { flip: 'b' } }, b: { on: { flip: 'a' } } },
});

describe('InspectorHub: graph from a live supervision tree', () => {
  it('should map sessions to stable paths, keep a restarted child at its path with restarts 1 and lastError, and show the supervisor phase', () => {
    const t = inspectedTree({
      name: 'sup',
      flags: { intensity: 5 },
      children: [worker('A'), worker('B')],
    });
    t.started();
    const before = byId(t.hub.snapshot().nodes);
    expect(before.sup).toMatchObject({
      kind: 'supervisor',
      logic: 'supervisor',
      definition: 'supervisor',
      value: 'running',
      status: 'active',
    });
    expect(before.sup!.parent).toBeUndefined();
    expect(before['sup/A']).toMatchObject({
      parent: 'sup',
      kind: 'machine',
      value: 'running',
      status: 'active',
      restarts: 0,
    });
    expect(before['sup/A/0.(machine)']).toMatchObject({
      parent: 'sup/A',
      kind: 'worker',
      logic: 'callback',
      status: 'active',
    });
    const firstSession = before['sup/A']!.sessionId;
    const count = t.hub.nodeCount;

    t.clock.advance(250);
    t.child('A')!.send({ type: 'crash' });
    t.started(); // the fact for the new incarnation: restarts 1
    const delta = t.hub.flush()!;
    const a = delta.upserts.find((n) => n.id === 'sup/A')!;
    expect(a).toMatchObject({
      status: 'active',
      restarts: 1,
      value: 'running',
      lastError: { at: 1250, message: 'A crashed' },
    });
    expect(a.sessionId).not.toBe(firstSession);
    expect(delta.events.map((e) => [e.type, e.path])).toEqual([
      ['supervisor.decision', 'sup/A'],
      ['child.restarted', 'sup/A'],
    ]);
    expect(t.hub.nodeCount).toBe(count);
    expect(byId(t.hub.snapshot().nodes)['sup/A/0.(machine)']).toMatchObject({ status: 'active' });
  });

  it('should show a crashed child as error (XState sends no snapshot for it) until its restart', () => {
    const t = inspectedTree({ name: 'sup', children: [worker('A', { restart: 'temporary' })] });
    t.started();
    t.hub.flush();
    t.child('A')!.send({ type: 'crash', error: new Error('boom') });
    const a = t.hub.flush()!.upserts.find((n) => n.id === 'sup/A')!;
    expect(a).toMatchObject({ status: 'error', lastError: { message: 'boom' } });
  });

  it('should mark everything done or stopped after a shutdown and forget the ended sessions', () => {
    const t = inspectedTree({ name: 'sup', children: [worker('A'), worker('B')] });
    t.started();
    t.hub.flush();
    t.actor.send({ type: 'maestro.shutdown' });
    t.hub.flush();
    const nodes = byId(t.hub.snapshot().nodes);
    expect(nodes.sup).toMatchObject({ status: 'done', value: 'stopped' });
    expect(nodes['sup/A']).toMatchObject({ status: 'done', value: 'done' });
    expect(nodes['sup/B/0.(machine)']).toMatchObject({ status: 'stopped' });
    expect(
      (t.hub as unknown as { sessions: { live: Map<string, unknown> } }).sessions.live.size,
    ).toBe(0);
  });

  it('should place the vote statechart of a MAKER runner at <runner path>/vote, with its definition', () => {
    const runner = setup({ actors: { vote: makerVoteMachine } }).createMachine({
      id: 'makerTask',
      invoke: {
        id: 'vote',
        src: 'vote',
        input: {
          settings: { k: 2, maxSamples: 10 },
          draw: async () => ({ text: 'x' }),
          judge: () => ({ ok: false, reason: 'parse', detail: '' }),
        },
      },
      initial: 'voting',
      states: { voting: { on: { 'maestro.shutdown': 'done' } }, done: { type: 'final' } },
    });
    const t = inspectedTree({
      name: 'mission/m1/stage/s',
      children: [{ id: 'maker/a', start: { logic: runner } }],
    });
    t.started();
    const snap = t.hub.snapshot();
    const nodes = byId(snap.nodes);
    expect(nodes['mission/m1/stage/s/maker/a']).toMatchObject({
      logic: 'makerTask',
      value: 'voting',
    });
    expect(nodes['mission/m1/stage/s/maker/a/vote']).toMatchObject({
      parent: 'mission/m1/stage/s/maker/a',
      logic: 'makerVote',
      definition: 'makerVote',
      value: 'idle',
    });
    expect(nodes['mission/m1/stage/s/maker/a/vote/sampler']).toMatchObject({
      logic: 'callback',
      kind: 'worker',
    });
    expect(snap.definitions.makerVote!.states!.map((s) => s.key)).toEqual([
      'idle',
      'sampling',
      'failed',
    ]);
  });

  it('should name a root by setRootPath and others `<logic>/<session>`', () => {
    const hub = new InspectorHub({ clock: new ManualClock() });
    const named = createActor(toggle, { inspect: hub.inspect });
    hub.setRootPath(named.sessionId, 'mission/m1');
    named.start();
    const anonymous = createActor(toggle, { inspect: hub.inspect }).start();
    const ids = hub.snapshot().nodes.map((n) => n.id);
    expect(ids).toEqual(['mission/m1', `toggle/${anonymous.sessionId}`]);
  });

  it('should drop the nodes of anonymous actors once they end, so a long run does not keep one per actor', async () => {
    const hub = new InspectorHub({ clock: new ManualClock() });
    const parent = createMachine({
      id: 'parent',
      on: { go: { actions: spawnChild(fromPromise(async () => 1)) } },
    });
    const actor = createActor(parent, { inspect: hub.inspect });
    hub.setRootPath(actor.sessionId, 'p');
    actor.start();
    for (let i = 0; i < 50; i++) actor.send({ type: 'go' });
    expect(hub.snapshot().nodes).toHaveLength(51);
    await new Promise((r) => setImmediate(r));
    const d = hub.flush()!;
    expect(d.removes).toHaveLength(50);
    expect(hub.snapshot().nodes.map((n) => n.id)).toEqual(['p']);
  });

  it('should move a session and its descendants when its fact comes after a flush', () => {
    const t = inspectedTree({ name: 'sup', children: [worker('A')] });
    t.hub.flush(); // before the fact: A is at its XState id
    const early = t.hub
      .snapshot()
      .nodes.map((n) => n.id)
      .sort();
    expect(early).toEqual(['sup', 'sup/0', 'sup/0/0.(machine)']);
    t.started();
    const d = t.hub.flush()!;
    expect(d.removes.sort()).toEqual(['sup/0', 'sup/0/0.(machine)']);
    expect(
      t.hub
        .snapshot()
        .nodes.map((n) => n.id)
        .sort(),
    ).toEqual(['sup', 'sup/A', 'sup/A/0.(machine)']);
  });
});

describe('InspectorHub: coalescing and caps', () => {
  it('should turn 1,000 snapshots of one actor between flushes into one upsert', () => {
    const hub = new InspectorHub({ clock: new ManualClock() });
    let snapshots = 0;
    const actor = createActor(toggle, {
      inspect: (e) => {
        if (e.type === '@xstate.snapshot') snapshots++;
        hub.inspect(e);
      },
    }).start();
    hub.flush();
    snapshots = 0;
    for (let i = 0; i < 999; i++) actor.send({ type: 'flip' });
    expect(snapshots).toBe(999);
    const d = hub.flush()!;
    expect(d.upserts).toHaveLength(1);
    expect(d.upserts[0]).toMatchObject({ value: 'b' });
    expect(hub.flush()).toBeUndefined();
    // Back where it was at the last flush: nothing to send.
    actor.send({ type: 'flip' });
    actor.send({ type: 'flip' });
    expect(hub.flush()).toBeUndefined();
  });

  it('should cap the events of one delta, count the rest as dropped, and keep the last maxEvents for new clients', () => {
    const hub = new InspectorHub({ clock: new ManualClock(), maxEventsPerFlush: 5, maxEvents: 8 });
    for (let i = 0; i < 12; i++)
      hub.observe({ type: 'stage.entered', mission: 'm', stage: `s${i}`, index: i });
    const d = hub.flush()!;
    expect(d.events.map((e) => e.data.stage)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(d.events[0]).toMatchObject({
      type: 'stage.entered',
      path: 'mission/m/stage/s0',
      data: { mission: 'm', stage: 's0', index: 0 },
    });
    expect(d.dropped).toBe(7);
    expect(hub.stats).toEqual({ internalErrors: 0, dropped: 7 });
    for (let i = 0; i < 5; i++)
      hub.observe({ type: 'mission.started', mission: 'm', name: `n${i}` });
    hub.flush();
    const snap = hub.snapshot();
    expect(snap.events.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(snap.dropped).toBe(7);
  });

  it('should ignore event types it does not show, and keep only the latest vote per runner', () => {
    const hub = new InspectorHub({ clock: new ManualClock() });
    hub.observe({ type: 'maker.snapshot', path: 'r', state: 'big' });
    expect(hub.flush()).toBeUndefined();
    hub.observe({
      type: 'stage.entered',
      mission: 'm',
      stage: 'hanoi',
      index: 0,
      agents: ['solver'],
      maker: { kind: 'hanoi' },
    });
    hub.observe({
      type: 'maker.vote',
      mission: 'm',
      step: 0,
      outcome: 'decided',
      samples: 3,
      margin: 3,
      answer: 'move 1 0 2',
    });
    hub.observe({
      type: 'maker.vote',
      mission: 'm',
      step: 1,
      outcome: 'decided',
      samples: 6,
      margin: 2,
      answer: 'move 2 0 1',
      flagged: { too_long: 1 },
      tallies: { 'move 2 0 1': 4, 'move 2 0 2': 1 },
    });
    const d = hub.flush()!;
    expect(d.votes).toEqual([
      {
        path: 'mission/m/stage/hanoi/maker/solver',
        step: 1,
        k: 0,
        samples: 6,
        flagged: 1,
        outcome: 'decided',
        winner: 'move 2 0 1',
        tallies: { 'move 2 0 1': 4, 'move 2 0 2': 1 },
      },
    ]);
    hub.observe({
      type: 'maker.vote',
      path: 'elsewhere',
      step: 0,
      outcome: 'exhausted',
      samples: 4,
      margin: 0,
    });
    expect(hub.flush()!.votes).toEqual([
      {
        path: 'elsewhere',
        step: 0,
        k: 0,
        samples: 4,
        flagged: 0,
        outcome: 'exhausted',
        tallies: {},
      },
    ]);
    expect(hub.snapshot().votes.map((v) => v.path)).toEqual([
      'mission/m/stage/hanoi/maker/solver',
      'elsewhere',
    ]);
  });
});

describe('InspectorHub: deltas, resync and the timer', () => {
  it('should return exactly the missed deltas from since(seq), and undefined once they are no longer kept', () => {
    const hub = new InspectorHub({ clock: new ManualClock(), historyFlushes: 3 });
    const seen: InspectorDelta[] = [];
    const unsubscribe = hub.subscribe((d) => seen.push(d));
    for (let i = 1; i <= 5; i++) {
      hub.observe({ type: 'mission.started', mission: `m${i}` });
      hub.flush();
    }
    expect(seen.map((d) => d.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(hub.since(3)).toEqual(seen.slice(3));
    expect(hub.since(2)).toEqual(seen.slice(2));
    expect(hub.since(5)).toEqual([]);
    expect(hub.since(1)).toBeUndefined();
    expect(hub.since(6)).toBeUndefined();
    expect(hub.since(-1)).toBeUndefined();
    unsubscribe();
    hub.observe({ type: 'mission.finished', mission: 'm1' });
    hub.flush();
    expect(seen).toHaveLength(5);
    expect(hub.snapshot().seq).toBe(6);
  });

  it('should flush every flushMs once started, and not after stop', () => {
    const clock = new ManualClock();
    const hub = new InspectorHub({ clock, flushMs: 100 });
    const seen: number[] = [];
    hub.subscribe((d) => seen.push(d.seq));
    hub.start();
    hub.observe({ type: 'mission.started', mission: 'm' });
    clock.advance(99);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual([1]);
    clock.advance(500); // nothing changed: no deltas
    hub.observe({ type: 'mission.finished', mission: 'm' });
    clock.advance(100);
    expect(seen).toEqual([1, 2]);
    hub.stop();
    expect(clock.pending).toBe(0);
  });

  it('should keep a listener that throws from breaking the flush', () => {
    const hub = new InspectorHub({ clock: new ManualClock() });
    const seen: number[] = [];
    hub.subscribe(() => {
      throw new Error('listener');
    });
    hub.subscribe((d) => seen.push(d.seq));
    hub.observe({ type: 'mission.started', mission: 'm' });
    hub.flush();
    expect(seen).toEqual([1]);
    expect(hub.stats.internalErrors).toBe(1);
  });
});

describe('InspectorHub: remote workers and decisions', () => {
  it('should add a remote node under workers/<mission> on worker.joined and mark it stopped on worker.left', () => {
    const hub = new InspectorHub({ clock: new ManualClock(5) });
    hub.observe({
      type: 'worker.joined',
      mission: 'm',
      worker: 'w1',
      capabilities: ['llm'],
      host: 'h',
      pid: 1,
    });
    expect(hub.flush()!.upserts).toEqual([
      {
        id: 'workers/m/w1',
        parent: 'workers/m',
        kind: 'remote',
        logic: 'remote',
        status: 'active',
        restarts: 0,
        updatedAt: 5,
      },
    ]);
    hub.observe({ type: 'worker.left', mission: 'm', worker: 'w1' });
    const d = hub.flush()!;
    expect(d.upserts[0]).toMatchObject({ id: 'workers/m/w1', status: 'stopped' });
    expect(d.events.map((e) => [e.type, e.path])).toEqual([['worker.left', 'workers/m/w1']]);
  });

  it('should set lastError on the offender of a kill decision', () => {
    const hub = new InspectorHub({ clock: new ManualClock() });
    hub.observe({
      type: 'supervisor.decision',
      at: 42,
      supervisor: 'sup',
      errorContext: 'shutdown_error',
      reason: 'killed',
      action: 'kill',
      offender: { id: 'A', path: 'sup/A', restart: 'permanent', type: 'worker', restarts: 0 },
    });
    hub.observe({
      type: 'supervisor.decision',
      at: 43,
      supervisor: 'sup',
      errorContext: 'start_error',
      reason: 'bad',
      action: 'reject',
    });
    const d = hub.flush()!;
    expect(d.upserts).toEqual([
      expect.objectContaining({ id: 'sup/A', lastError: { at: 42, message: 'killed' } }),
    ]);
    expect(d.events.map((e) => e.path)).toEqual(['sup/A', 'sup']);
  });
});

describe('InspectorHub: pools', () => {
  it('should keep every child of a 300-child pool, announce the pool once, and send only what changed', () => {
    const t = inspectedTree({
      name: 'pool',
      flags: { strategy: 'simple_one_for_one', intensity: 1000 },
      children: [worker('w')],
    });
    for (let i = 0; i < 300; i++)
      t.actor.send({ type: 'supervisor.startChild', input: { name: `w${i}`, log: [] } });
    t.started();
    const first = t.hub.flush()!;
    expect(t.hub.nodeCount).toBe(1 + 300 * 2);
    expect(first.events.filter((e) => e.type === 'pool')).toEqual([
      expect.objectContaining({ path: 'pool', data: { logic: '(machine)', children: 201 } }),
    ]);
    (t.child('7') as AnyActorRef).send({ type: 'finish' }); // permanent: restarted
    t.started();
    const d = t.hub.flush()!;
    expect(d.upserts.map((n) => n.id).sort()).toEqual(['pool/7', 'pool/7/0.(machine)']);
    expect(d.upserts.find((n) => n.id === 'pool/7')).toMatchObject({
      restarts: 1,
      status: 'active',
    });
    expect(d.upserts.find((n) => n.id === 'pool/7')!.lastError).toBeUndefined(); // a normal exit is no error
    expect(d.events.filter((e) => e.type === 'pool')).toEqual([]);
    expect(t.hub.nodeCount).toBe(1 + 300 * 2);
  });
});
