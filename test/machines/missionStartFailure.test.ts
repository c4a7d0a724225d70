/**
 * A mission that cannot start (under NATS: no worker for a provider, or one running another
 * definition; a missing key) is never lost: its log holds `mission.submitted` then
 * `mission.start_failed`. Under `maestro run` the log then ends failed; under the daemon its status
 * says failed with reason start_failed, and a restarted daemon lists it and tries it again,
 * unless it was stopped.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { Daemon } from '../../daemon/daemon.js';
import { NoWorkersError, WaitStoppedError, type NatsHub } from '../../runner/natsRuntime.js';
import type { NatsTransport } from '../../transport/natsTransport.js';
import { eventually } from '../helpers/eventually.js';
import { mission, tempDir } from '../helpers/missions.js';
import { runMission } from '../../runner/runMission.js';

const helloYaml = readFileSync('examples/hello.yaml', 'utf8');
const silent = pino({ level: 'silent' });
const NO_WORKERS =
  "no worker serves 'poet' on nats://127.0.0.1:1 after 0 ms; start one: maestro worker --nats URL --capability poet --config MISSION_FILE";

/** A hub whose workers never come: every mission's attach fails as a real one does. */
function hubWithoutWorkers(): NatsHub & { attaches: string[][] } {
  const attaches: string[][] = [];
  return {
    attaches,
    transport: {} as NatsTransport,
    attach: async (providers) => {
      attaches.push(Object.keys(providers));
      throw new NoWorkersError(NO_WORKERS);
    },
    close: async () => {},
  };
}

/**
 * A hub whose workers never come, waiting as a real one does: its attach fails when `timeUp()`
 * is called (the wait's end), or at once when the mission's stop aborts the wait.
 */
function waitingHub(): NatsHub & { waiting: number; timeUp(): void } {
  let timeUp!: () => void;
  const over = new Promise<void>((r) => (timeUp = r));
  const hub = {
    waiting: 0,
    timeUp: () => timeUp(),
    transport: {} as NatsTransport,
    attach: async (_providers: unknown, _ms: number, signal?: AbortSignal) => {
      hub.waiting++;
      await new Promise<void>((resolve) => {
        void over.then(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      if (signal?.aborted) throw new WaitStoppedError(String(signal.reason));
      throw new NoWorkersError(NO_WORKERS);
    },
    close: async () => {},
  };
  return hub;
}

describe('daemon: a mission that failed to start', () => {
  it('should keep its log and its status across a restart, and be tried again at the next start', async () => {
    const stateDir = tempDir();
    const hub = hubWithoutWorkers();
    const first = new Daemon({ stateDir, logger: silent, natsHub: hub });
    first.start();
    expect(await first.submit({ source: helloYaml, id: 'h1' })).toMatchObject({
      id: 'h1',
      state: 'running',
    });
    const reason = {
      reason: 'start_failed',
      message: `${NO_WORKERS}; tried again at the next daemon start (maestro stop h1 gives it up)`,
    };
    await eventually(() =>
      expect(first.status('h1')).toMatchObject({ state: 'failed', error: reason }),
    );
    // The identities of the providers the mission uses went to the hub.
    expect(hub.attaches).toEqual([['poet', 'reviewers']]);
    const log = EventLog.read(EventLog.pathFor(stateDir, 'h1')) as LooseEvent[];
    expect(log.map((e) => e.type)).toEqual(['mission.submitted', 'mission.start_failed']);
    expect(log[1]).toMatchObject({ error: 'NoWorkersError', message: NO_WORKERS });
    await first.shutdown();

    // Restarted, still without workers: listed, tried again, failed again with its reason.
    const second = new Daemon({ stateDir, logger: silent, natsHub: hubWithoutWorkers() });
    expect(second.start()).toEqual({ resumed: ['h1'], finished: 0 });
    expect(second.list().map((m) => m.id)).toEqual(['h1']);
    await eventually(() =>
      expect(second.status('h1')).toMatchObject({ state: 'failed', error: reason }),
    );
    await second.shutdown();
    expect(
      (EventLog.read(EventLog.pathFor(stateDir, 'h1')) as LooseEvent[]).map((e) => e.type),
    ).toEqual(['mission.submitted', 'mission.start_failed', 'mission.start_failed']);

    // Restarted where it can run (in process here): it runs to its end.
    const third = new Daemon({ stateDir, logger: silent });
    expect(third.start().resumed).toEqual(['h1']);
    await eventually(() => expect(third.status('h1')).toMatchObject({ state: 'succeeded' }));
    expect(third.status('h1').result).toContain('### editor');
    await third.shutdown();
  });

  it('should not be tried again once stopped: stop ends its log', async () => {
    const stateDir = tempDir();
    const first = new Daemon({ stateDir, logger: silent, natsHub: hubWithoutWorkers() });
    first.start();
    await first.submit({ source: helloYaml, id: 'h2' });
    await eventually(() => expect(first.status('h2').state).toBe('failed'));
    expect(await first.stop('h2', 'not needed')).toMatchObject({ id: 'h2', state: 'stopped' });
    expect(first.status('h2').error).toEqual({ reason: 'stopped', message: 'not needed' });
    await expect(first.stop('h2')).rejects.toThrow("mission 'h2' is already stopped");
    await first.shutdown();

    const second = new Daemon({ stateDir, logger: silent });
    expect(second.start()).toEqual({ resumed: [], finished: 1 });
    expect(second.status('h2')).toMatchObject({
      state: 'stopped',
      error: { reason: 'stopped', message: 'not needed' },
    });
  });
});

describe('daemon: following a mission that fails to start, or is stopped before it starts', () => {
  it('should end its followers after the start failure, the failure being their last event', async () => {
    const hub = waitingHub();
    const daemon = new Daemon({ stateDir: tempDir(), logger: silent, natsHub: hub });
    daemon.start();
    await daemon.submit({ source: helloYaml, id: 'f1' });
    await eventually(() => expect(hub.waiting).toBe(1));
    const seen: string[] = [];
    let ended = 0;
    daemon.events(
      'f1',
      0,
      (e) => seen.push(e.type),
      () => ended++,
    );
    hub.timeUp();
    await eventually(() => expect(ended).toBe(1));
    expect(seen).toEqual(['mission.submitted', 'mission.start_failed']);
    expect(daemon.status('f1')).toMatchObject({
      state: 'failed',
      error: { reason: 'start_failed' },
    });
    // One who follows it later gets the same history and its end at once.
    const later: string[] = [];
    daemon.events(
      'f1',
      0,
      (e) => later.push(e.type),
      () => ended++,
    );
    expect([later, ended]).toEqual([['mission.submitted', 'mission.start_failed'], 2]);
    await daemon.shutdown();
  });

  it('should give the mission up when it is stopped while it waits for its workers: its log ends stopped, and no later start tries it', async () => {
    const stateDir = tempDir();
    const hub = waitingHub();
    const first = new Daemon({ stateDir, logger: silent, natsHub: hub });
    first.start();
    await first.submit({ source: helloYaml, id: 'f2' });
    await eventually(() => expect(hub.waiting).toBe(1));
    let ended = false;
    first.events(
      'f2',
      0,
      () => {},
      () => (ended = true),
    );
    expect(await first.stop('f2', 'not needed')).toMatchObject({ id: 'f2' });
    await eventually(() =>
      expect(first.status('f2')).toMatchObject({
        state: 'stopped',
        error: { reason: 'stopped', message: 'not needed' },
      }),
    );
    expect(ended).toBe(true);
    const log = EventLog.read(EventLog.pathFor(stateDir, 'f2')) as LooseEvent[];
    expect(log.map((e) => e.type)).toEqual([
      'mission.submitted',
      'mission.start_failed',
      'mission.finished',
    ]);
    expect(log[1]).toMatchObject({
      error: 'WaitStoppedError',
      message: 'stopped while waiting for workers: not needed',
    });
    expect(log[2]).toMatchObject({
      status: 'failed',
      error: { reason: 'stopped', message: 'not needed' },
    });
    await expect(first.stop('f2')).rejects.toThrow("mission 'f2' is already stopped");
    await first.shutdown();

    const second = new Daemon({ stateDir, logger: silent, natsHub: hubWithoutWorkers() });
    expect(second.start()).toEqual({ resumed: [], finished: 1 });
    expect(second.status('f2')).toMatchObject({
      state: 'stopped',
      error: { reason: 'stopped', message: 'not needed' },
    });
    await second.shutdown();
  });
});

describe('daemon: a state dir with a log of a mission that failed to start (the fixture this code writes)', () => {
  it('should list it and try it again at start; run in process, it runs to its end', async () => {
    const stateDir = tempDir();
    mkdirSync(join(stateDir, 'missions'));
    copyFileSync(
      'test/fixtures/logs/start-failed.jsonl',
      EventLog.pathFor(stateDir, 'hello-start-failed'),
    );
    const daemon = new Daemon({ stateDir, logger: silent });
    expect(daemon.start()).toEqual({ resumed: ['hello-start-failed'], finished: 0 });
    await eventually(() =>
      expect(daemon.status('hello-start-failed')).toMatchObject({
        state: 'succeeded',
        done: [{ name: 'draft' }, { name: 'polish' }],
      }),
    );
    await daemon.shutdown();
  });
});

describe('runMission: a mission that cannot start', () => {
  it('should log why and end its log failed with reason start_failed (nothing will try it again), then throw the cause', async () => {
    const stateDir = tempDir();
    const config = mission({
      providers: { model: { kind: 'openai', model: 'm', apiKeyEnv: 'MAESTRO_TEST_UNSET_KEY' } },
      agents: [{ id: 'a', provider: 'model' }],
      stages: [{ name: 's', prompt: 'p', agents: ['a'] }],
    });
    const run = runMission(config, { stateDir, logger: silent, missionId: 'k1', env: {} });
    await expect(run).rejects.toThrow('MAESTRO_TEST_UNSET_KEY');
    const log = EventLog.read(EventLog.pathFor(stateDir, 'k1')) as LooseEvent[];
    expect(log.map((e) => e.type)).toEqual([
      'mission.submitted',
      'mission.start_failed',
      'mission.finished',
    ]);
    const message = log[1]!.message as string;
    expect(message).toContain('MAESTRO_TEST_UNSET_KEY');
    expect(log[2]).toMatchObject({
      status: 'failed',
      error: { reason: 'start_failed', message },
      usage: { tokens: 0, costUsd: 0, samples: 0, wallTimeMs: 0 },
    });
  });
});
