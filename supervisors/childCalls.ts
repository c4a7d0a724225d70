/**
 * OTP's supervisor calls, as rules and answers: start_child, terminate_child, restart_child and
 * delete_child answer `{ok}` or `{error, why}` with OTP's words (`already_present`,
 * `already_started`, `running`, `restarting`, `not_found`, `simple_one_for_one`). Each rule is
 * a pure function of the child's record; the core queues the work when a rule says yes.
 */
import type { ChildRecord } from './childRecord.js';

export type Reply<T> = (result: T) => void;

/** A call's answer. `pid` is the XState session id of the started child (OTP's pid). */
export type CallResult = { ok: true } | { ok: false; error: string; pid?: string };
export type StartResult =
  | { ok: true; id: string; pid?: string }
  | { ok: false; error: string; pid?: string };

/** start_child with a spec whose id is taken: already_started if it runs, already_present if only its spec is kept. */
export function addChildRules(
  existing: ChildRecord | undefined,
): { result: StartResult; detail: string } | undefined {
  if (!existing) return undefined;
  const running = existing.status === 'running' || existing.status === 'stopping';
  const error = running ? 'already_started' : 'already_present';
  return { result: { ok: false, error }, detail: `${error}: '${existing.spec.id}'` };
}

export function terminateChildRules(
  rec: ChildRecord | undefined,
  ending: boolean,
): CallResult | undefined {
  if (!rec) return { ok: false, error: 'not_found' };
  if (ending) return { ok: false, error: 'shutting_down' };
  return undefined;
}

export function restartChildRules(
  rec: ChildRecord | undefined,
  restarting: boolean,
  dynamic: boolean,
  ending: boolean,
): StartResult | undefined {
  if (dynamic) return { ok: false, error: 'simple_one_for_one' };
  if (!rec) return { ok: false, error: 'not_found' };
  if (ending) return { ok: false, error: 'shutting_down' };
  if (rec.status === 'running' || rec.status === 'stopping') return { ok: false, error: 'running' };
  if (restarting) return { ok: false, error: 'restarting' };
  return undefined;
}

export function deleteChildRules(
  rec: ChildRecord | undefined,
  restarting: boolean,
  dynamic: boolean,
): CallResult | undefined {
  if (dynamic) return { ok: false, error: 'simple_one_for_one' };
  if (!rec) return { ok: false, error: 'not_found' };
  if (rec.status === 'running' || rec.status === 'stopping') return { ok: false, error: 'running' };
  if (restarting) return { ok: false, error: 'restarting' };
  return undefined;
}
