/**
 * OTP's supervisor API as functions over a running supervisor actor, for a library user or the
 * daemon: the calls that change children send the matching event and resolve with its answer;
 * the queries read the supervisor's snapshot. A supervisor that is no longer running answers
 * `{ ok: false, error: 'noproc' }`, as calling a dead supervisor exits with noproc in OTP.
 */
import type { ActorRefFrom, AnyActorRef } from 'xstate';
import type { CallResult, StartResult } from './childCalls.js';
import type { ChildSpec, NormalizedChildSpec } from './childSpec.js';
import type { supervisorMachine } from './supervisor.js';

export type SupervisorRef = ActorRefFrom<typeof supervisorMachine>;

export interface ChildInfo {
  id: string;
  /** The running incarnation's session id; `restarting` while a restart is pending; undefined when stopped. */
  pid: string | 'restarting' | undefined;
  type: 'worker' | 'supervisor';
}

const noproc = { ok: false, error: 'noproc' } as const;

/** Answers `noproc` too if the supervisor ends (killed, stopped by its parent) before it answers. */
function call<T>(
  sup: SupervisorRef,
  send: (reply: (r: T) => void) => void,
): Promise<T | typeof noproc> {
  if (sup.getSnapshot().status !== 'active') return Promise.resolve(noproc);
  return new Promise((resolve) => {
    const gone = () => resolve(noproc);
    const sub = sup.subscribe({ complete: gone, error: gone });
    send((r) => {
      sub.unsubscribe();
      resolve(r);
    });
  });
}

/** start_child: a full spec, or the input of a simple_one_for_one template's new instance. */
export function startChild(
  sup: SupervisorRef,
  spec: ChildSpec | { input: unknown },
): Promise<StartResult> {
  return call<StartResult>(sup, (reply) =>
    sup.send(
      'start' in spec
        ? { type: 'supervisor.startChild', spec, reply }
        : { type: 'supervisor.startChild', input: spec.input, reply },
    ),
  );
}

export function terminateChild(sup: SupervisorRef, id: string): Promise<CallResult> {
  return call<CallResult>(sup, (reply) =>
    sup.send({ type: 'supervisor.terminateChild', id, reply }),
  );
}

export function restartChild(sup: SupervisorRef, id: string): Promise<StartResult> {
  return call<StartResult>(sup, (reply) =>
    sup.send({ type: 'supervisor.restartChild', id, reply }),
  );
}

export function deleteChild(sup: SupervisorRef, id: string): Promise<CallResult> {
  return call<CallResult>(sup, (reply) => sup.send({ type: 'supervisor.deleteChild', id, reply }));
}

export function whichChildren(sup: SupervisorRef): ChildInfo[] {
  const snap = sup.getSnapshot();
  const live = snap.children as Record<string, AnyActorRef | undefined>;
  return snap.context.core.snapshotChildren().map((c) => ({
    id: c.id,
    pid: c.refId !== undefined ? live[c.refId]?.sessionId : c.restarting ? 'restarting' : undefined,
    type: c.spec.type,
  }));
}

/** As OTP: specs and the child types count the specs kept, alive or not; simple_one_for_one has one spec. */
export function countChildren(sup: SupervisorRef): {
  specs: number;
  active: number;
  supervisors: number;
  workers: number;
} {
  const core = sup.getSnapshot().context.core;
  const children = core.snapshotChildren();
  if (core.template) {
    const n = children.filter((c) => c.refId !== undefined).length;
    const supervisors = core.template.type === 'supervisor' ? n : 0;
    return { specs: 1, active: n, supervisors, workers: n - supervisors };
  }
  return {
    specs: children.length,
    active: children.filter((c) => c.refId !== undefined).length,
    supervisors: children.filter((c) => c.spec.type === 'supervisor').length,
    workers: children.filter((c) => c.spec.type === 'worker').length,
  };
}

export function getChildSpec(
  sup: SupervisorRef,
  id: string,
): { ok: true; spec: NormalizedChildSpec } | { ok: false; error: 'not_found' } {
  const c = sup
    .getSnapshot()
    .context.core.snapshotChildren()
    .find((x) => x.id === id);
  return c ? { ok: true, spec: c.spec } : { ok: false, error: 'not_found' };
}
