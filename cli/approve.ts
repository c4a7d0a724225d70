/**
 * `maestro approve [APPROVAL]`: without an id, the approvals the daemon's missions wait for;
 * with one, approves it, or rejects it with `--reject [--feedback TEXT]` (the stage revises with
 * the feedback). APPROVAL is a gate's id (`MISSION/STAGE/ATTEMPT`), or a mission id (or
 * `MISSION/STAGE`) when exactly one of its gates is pending. Answering an approval twice is
 * harmless: the second answer changes nothing.
 */
import { stageOutputLines } from './render/workflowReport.js';
import { UserError } from '../kernel/errors.js';
import { MaestroClient, resolveDaemon, type DaemonFlags } from '../daemon/daemonClient.js';
import type { ApprovalRecord } from '../daemon/daemonApi.js';
import type { Io } from './io.js';
import { table } from './status.js';

export interface ApproveFlags extends DaemonFlags {
  json?: boolean;
  reject?: boolean;
  feedback?: string;
}

export async function approveCommand(
  id: string | undefined,
  flags: ApproveFlags,
  io: Io,
): Promise<number> {
  if (flags.feedback !== undefined && !flags.reject)
    throw new UserError('maestro approve: --feedback goes with --reject');
  if (id === undefined && flags.reject)
    throw new UserError('maestro approve: --reject needs an APPROVAL id (see: maestro approve)');
  const client = new MaestroClient(resolveDaemon(flags));
  if (id === undefined) {
    const pending = await client.approvals();
    if (flags.json) io.out(JSON.stringify(pending, null, 2));
    else if (pending.length === 0) io.out('no pending approvals');
    else {
      const rows = pending.map((a) => [
        a.id,
        a.mission,
        a.stage,
        a.requestedAt,
        firstLine(a.output),
      ]);
      for (const line of table([['ID', 'MISSION', 'STAGE', 'REQUESTED', 'OUTPUT'], ...rows]))
        io.out(line);
    }
    return 0;
  }
  const decision = flags.reject ? 'reject' : 'approve';
  if (!isGateId(id)) id = await pendingGateOf(id, await client.approvals());
  const result = await client.approve(
    id,
    flags.feedback === undefined ? { decision } : { decision, feedback: flags.feedback },
  );
  if (flags.json) io.out(JSON.stringify(result, null, 2));
  else if (result.alreadyAnswered)
    io.out(`${id} was already ${result.approval.status}; nothing changed`);
  else io.out(`${decision === 'approve' ? 'approved' : 'rejected'} ${id}`);
  return 0;
}

/** `MISSION/STAGE/ATTEMPT`: a gate's full id. Mission ids hold no `/`, so anything shorter names a mission (and a stage). */
function isGateId(id: string): boolean {
  return /^[^/]+\/[^/]+\/\d+$/.test(id);
}

/** The one pending gate of a mission (or of one of its stages), or an error saying which there are. */
export function pendingGateOf(target: string, pending: readonly ApprovalRecord[]): string {
  const [mission, stage, extra] = target.split('/');
  if (!mission || extra !== undefined)
    throw new UserError(
      `maestro approve: '${target}' is no approval id (MISSION/STAGE/ATTEMPT) nor mission id`,
    );
  const what =
    stage === undefined ? `mission '${mission}'` : `stage '${stage}' of mission '${mission}'`;
  const gates = pending.filter(
    (a) => a.mission === mission && (stage === undefined || a.stage === stage),
  );
  if (gates.length === 1) return gates[0]!.id;
  if (gates.length === 0)
    throw new UserError(`maestro approve: ${what} has no pending approval (see: maestro approve)`);
  throw new UserError(
    `maestro approve: ${what} has ${gates.length} pending approvals: ${gates.map((a) => a.id).join(', ')}; name one`,
  );
}

function firstLine(text: string, max = 60): string {
  // a workflow phase's output is its state as JSON: its report's summary says it
  const line = stageOutputLines(text.trim())[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
