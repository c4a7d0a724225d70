import {
  createMachine,
  fromCallback,
  fromEventObservable,
  fromObservable,
  fromPromise,
  fromTransition,
} from 'xstate';
import { describe, expect, it } from 'vitest';
import { DefinitionRegistry, logicInfo, stateDefOf } from '../../inspector/definitions.js';
import type { StateDef } from '../../inspector/types.js';
import { makerTaskMachine } from '../../machines/makerTask.js';
import { makerVoteMachine } from '../../machines/makerVote.js';
import { missionMachine } from '../../machines/mission.js';
import { supervisorMachine } from '../../supervisors/index.js';

const keys = (d: StateDef) => d.states?.map((s) => s.key);
const state = (d: StateDef, key: string) => d.states!.find((s) => s.key === key)!;
const on = (d: StateDef, event: string) => d.on?.find((t) => t.event === event)?.targets;

describe('machine definitions for the inspector', () => {
  it('should outline the mission statechart: its states, initial state, events and targets', () => {
    const d = stateDefOf(missionMachine);
    expect(d).toMatchObject({ key: 'mission', type: 'compound', initial: 'boot' });
    expect(keys(d)).toEqual([
      'boot',
      'stage',
      'stageDone',
      'approval',
      'accepted',
      'finishing',
      'aborting',
      'succeeded',
      'failed',
      'suspended',
    ]);
    expect(on(state(d, 'boot'), 'always')).toEqual(['approval', 'finishing', 'stage']);
    // Answered, the stage is done; given up (or not started), the mission aborts.
    expect(on(state(d, 'stage'), 'supervisor.child.exited')).toEqual(['stageDone', 'aborting']);
    expect(on(d, 'mission.stop')).toEqual(['aborting']);
    expect(on(d, 'mission.suspend')).toEqual(['aborting']);
    expect(on(state(d, 'stageDone'), 'always')).toEqual(['aborting', 'approval', 'accepted']);
    expect(on(state(d, 'approval'), 'gate.answered')).toEqual(['accepted', 'stage', 'aborting']);
    expect(on(state(d, 'accepted'), 'always')).toEqual(['finishing', 'stage']);
    expect(state(d, 'succeeded').type).toBe('final');
    expect(state(d, 'suspended').type).toBe('final');
    expect(on(d, 'xstate.done.actor.supervisor')).toEqual(['suspended', 'succeeded', 'failed']);
    expect(on(d, 'xstate.error.actor.supervisor')).toEqual(['failed']);
  });

  it('should outline the supervisor and the MAKER statecharts', () => {
    const sup = stateDefOf(supervisorMachine);
    expect(keys(sup)).toEqual([
      'starting',
      'running',
      'restarting',
      'shuttingDown',
      'stopped',
      'failed',
    ]);
    expect(on(sup, 'supervisor.phase')).toEqual([
      'running',
      'restarting',
      'shuttingDown',
      'stopped',
      'failed',
    ]);
    expect(on(sup, 'maestro.shutdown')).toEqual([]);
    const vote = stateDefOf(makerVoteMachine);
    expect(vote).toMatchObject({ key: 'makerVote', initial: 'idle' });
    expect(keys(vote)).toEqual(['idle', 'sampling', 'failed']);
    expect(on(state(vote, 'sampling'), 'vote.sample')).toEqual(['idle']);
    expect(keys(stateDefOf(makerTaskMachine))).toEqual([
      'next',
      'voting',
      'pausing',
      'exhausted',
      'tooLong',
      'done',
      'stopped',
    ]);
    expect(JSON.parse(JSON.stringify(vote))).toEqual(vote);
  });

  it('should give nested targets as paths from the root', () => {
    const m = createMachine({
      id: 'n',
      initial: 'a',
      states: {
        a: { initial: 'x', states: { x: { on: { go: '#n.b.y' } }, y: {} } },
        b: { type: 'parallel', states: { y: {}, z: {} } },
      },
    });
    const d = stateDefOf(m);
    expect(on(state(state(d, 'a'), 'x'), 'go')).toEqual(['b.y']);
    expect(state(d, 'b')).toMatchObject({ type: 'parallel' });
    expect(state(d, 'a').initial).toBe('x');
  });

  it('should name the actors each state invokes, and keep delayed transitions as their events', () => {
    const d = stateDefOf(missionMachine);
    expect(d.invoke).toEqual(['supervisor']);
    expect(state(d, 'stage').invoke).toBeUndefined();
    expect(on(state(d, 'approval'), 'xstate.after.approvalTimeout.mission.approval')).toEqual([
      'approval',
    ]);
    const task = stateDefOf(makerTaskMachine);
    expect(task.invoke).toEqual(['vote']);
    expect(state(task, 'pausing').invoke).toEqual(['pause']);
    const m = createMachine({
      id: 'i',
      initial: 'a',
      states: {
        a: {
          invoke: [
            { src: fromPromise(async () => 1) },
            { id: 'named', src: fromPromise(async () => 2) },
          ],
          after: { 200: 'b' },
        },
        b: { type: 'final' },
      },
    });
    const a = state(stateDefOf(m), 'a');
    expect(a.invoke).toEqual(['inline', 'named']);
    expect(on(a, 'xstate.after.200.i.a')).toEqual(['b']);
    expect(JSON.parse(JSON.stringify(stateDefOf(m)))).toEqual(stateDefOf(m));
  });

  it('should tell machines and the other logic creators of xstate 5.33 apart', () => {
    expect(logicInfo(missionMachine)).toMatchObject({ name: 'mission', kind: 'mission' });
    expect(logicInfo(supervisorMachine)).toMatchObject({ name: 'supervisor', kind: 'supervisor' });
    expect(logicInfo(makerVoteMachine)).toMatchObject({ name: 'makerVote', kind: 'machine' });
    expect(logicInfo(fromPromise(async () => 1))).toEqual({ name: 'promise', kind: 'worker' });
    expect(logicInfo(fromCallback(() => {}))).toEqual({ name: 'callback', kind: 'worker' });
    expect(logicInfo(fromObservable(() => ({ subscribe: () => ({ unsubscribe() {} }) })))).toEqual({
      name: 'observable',
      kind: 'worker',
    });
    expect(
      logicInfo(fromEventObservable(() => ({ subscribe: () => ({ unsubscribe() {} }) }))),
    ).toEqual({ name: 'observable', kind: 'worker' });
    expect(logicInfo(fromTransition((s) => s, 0))).toEqual({ name: 'transition', kind: 'worker' });
    expect(logicInfo({ transition: () => 0 })).toEqual({ name: 'actor', kind: 'worker' });
  });

  it('should key definitions by machine id, share one key between copies and number different machines with the same id', () => {
    const reg = new DefinitionRegistry();
    const a = createMachine({ initial: 'x', states: { x: {} } });
    const b = createMachine({ initial: 'y', states: { y: {} } });
    expect(reg.keyOf(a)).toMatchObject({ key: '(machine)', added: { key: '(machine)' } });
    expect(reg.keyOf(a)).toEqual({ key: '(machine)' });
    expect(reg.keyOf(b).key).toBe('(machine)#2');
    expect(reg.keyOf(supervisorMachine.provide({}))).toMatchObject({ key: 'supervisor' });
    expect(reg.keyOf(supervisorMachine)).toEqual({ key: 'supervisor' });
  });
});
