/**
 * An in-memory `DaemonApi` for the HTTP and client tests: missions and approvals we set up,
 * events we push, and every call recorded. A source containing `bad:` fails validation like a
 * real mission file would.
 */
import { createApiHandler, type ApiHandlerOptions } from '../../daemon/daemonHttp.js';
import type { LooseEvent } from './looseEvent.js';
import { ConfigError } from '../../kernel/errors.js';
import { parseRetention } from '../../daemon/retention.js';
import {
  DaemonStoppingError,
  MissionExistsError,
  MissionOverError,
  UnknownApprovalError,
  UnknownMissionError,
  type AnswerRequest,
  type AnswerResult,
  type ApprovalRecord,
  type DaemonApi,
  type DaemonHealth,
  type PruneRequest,
  type PruneResult,
  type MissionStatus,
  type MissionSummary,
  type SubmitRequest,
} from '../../daemon/daemonApi.js';
import {
  startInspectorServer,
  type HubLike,
  type InspectorServer,
  type InspectorServerOptions,
} from '../../inspector/server.js';
import type { InspectorSnapshot } from '../../inspector/types.js';

interface Subscriber {
  listener: (e: LooseEvent) => void;
  end?: () => void;
}

export class FakeDaemon implements DaemonApi {
  missions = new Map<string, MissionStatus>();
  logs = new Map<string, LooseEvent[]>();
  approvalRecords = new Map<string, ApprovalRecord>();
  subscribers = new Map<string, Set<Subscriber>>();
  submitted: SubmitRequest[] = [];
  stopped: { id: string; reason?: string }[] = [];
  answers: { id: string; answer: AnswerRequest }[] = [];
  stopping = false;
  /** Thrown by `list()` when set: an unexpected failure. */
  failList: Error | undefined;
  private next = 1;

  pruned: PruneRequest[] = [];

  async prune(request: PruneRequest): Promise<PruneResult & { retain: string }> {
    this.pruned.push(request);
    const retain = parseRetention(request.retain ?? '7d').text;
    return { pruned: [], to: 'deleted', bytes: 0, dryRun: request.dryRun === true, retain };
  }

  health(): DaemonHealth {
    return {
      ok: true,
      pid: process.pid,
      uptimeMs: 0,
      missions: { total: this.missions.size, live: this.missions.size, recovering: 0 },
      memory: { rssBytes: 0, heapUsedBytes: 0 },
    };
  }

  async submit(request: SubmitRequest): Promise<MissionSummary> {
    this.submitted.push(request);
    if (this.stopping) throw new DaemonStoppingError();
    if (request.source?.includes('bad:')) {
      throw new ConfigError(request.filename ?? 'submitted.yaml', [
        { path: 'stages', message: 'expected at least 1 stage', line: 2 },
        { path: '', message: 'unknown key bad' },
      ]);
    }
    const id = request.id ?? `m${this.next++}`;
    if (this.missions.has(id)) throw new MissionExistsError(id);
    this.add({ id, name: 'hello', stages: ['research', 'summarize'], stage: 'research' });
    return this.list().find((m) => m.id === id)!;
  }

  /** A mission in the given state, with no events yet. */
  add(fields: Partial<MissionStatus> & { id: string }): MissionStatus {
    const status: MissionStatus = {
      name: 'hello',
      state: 'running',
      submittedAt: '2025-01-01T00:00:00.000Z',
      stages: ['research'],
      done: [],
      approvals: [],
      eventLog: `/state/missions/${fields.id}.jsonl`,
      ...fields,
    };
    this.missions.set(status.id, status);
    this.logs.set(status.id, []);
    return status;
  }

  list(): MissionSummary[] {
    if (this.failList) throw this.failList;
    return [...this.missions.values()].map(
      ({ id, name, state, submittedAt, finishedAt, stage, stages }) => ({
        id,
        name,
        state,
        submittedAt,
        finishedAt,
        stage,
        stages,
      }),
    );
  }

  status(id: string): MissionStatus {
    const m = this.missions.get(id);
    if (!m) throw new UnknownMissionError(id);
    return { ...m, approvals: [...this.approvalRecords.values()].filter((a) => a.mission === id) };
  }

  /** Appends an event and hands it to the live subscribers. */
  emit(id: string, type: string, fields: Record<string, unknown> = {}): LooseEvent {
    const log = this.logs.get(id)!;
    const e = {
      seq: log.length + 1,
      ts: '2025-01-01T00:00:01.000Z',
      mission: id,
      type: type as LooseEvent['type'],
      ...fields,
    } as LooseEvent;
    log.push(e);
    for (const s of this.subscribers.get(id) ?? []) s.listener(e);
    return e;
  }

  /** The mission is over: sets its state and ends every stream. */
  finish(id: string, state: MissionStatus['state'], extra: Partial<MissionStatus> = {}): void {
    Object.assign(this.missions.get(id)!, {
      state,
      stage: undefined,
      finishedAt: '2025-01-01T00:01:00.000Z',
      ...extra,
    });
    for (const s of this.subscribers.get(id) ?? []) s.end?.();
    this.subscribers.delete(id);
  }

  liveSubscribers(id: string): number {
    return this.subscribers.get(id)?.size ?? 0;
  }

  events(
    id: string,
    afterSeq: number,
    listener: (e: LooseEvent) => void,
    end?: () => void,
  ): () => void {
    const m = this.missions.get(id);
    if (!m) throw new UnknownMissionError(id);
    for (const e of this.logs.get(id)!) if (e.seq > afterSeq) listener(e);
    if (m.state === 'succeeded' || m.state === 'failed' || m.state === 'stopped') {
      end?.();
      return () => {};
    }
    const sub: Subscriber = end ? { listener, end } : { listener };
    const set = this.subscribers.get(id) ?? new Set<Subscriber>();
    this.subscribers.set(id, set.add(sub));
    return () => set.delete(sub);
  }

  async stop(id: string, reason?: string): Promise<MissionSummary> {
    const m = this.status(id);
    if (m.state === 'succeeded' || m.state === 'failed' || m.state === 'stopped')
      throw new MissionOverError(id, m.state);
    this.stopped.push(reason === undefined ? { id } : { id, reason });
    return this.list().find((s) => s.id === id)!;
  }

  approvals(): ApprovalRecord[] {
    return [...this.approvalRecords.values()].filter((a) => a.status === 'pending');
  }

  /** A pending approval for `mission`'s `stage`, attempt 1. */
  request(mission: string, stage: string, output: string): ApprovalRecord {
    const a: ApprovalRecord = {
      id: `${mission}/${stage}/1`,
      mission,
      stage,
      attempt: 1,
      output,
      requestedAt: '2025-01-01T00:00:30.000Z',
      status: 'pending',
    };
    this.approvalRecords.set(a.id, a);
    return a;
  }

  async answer(id: string, answer: AnswerRequest): Promise<AnswerResult> {
    this.answers.push({ id, answer });
    const a = this.approvalRecords.get(id);
    if (!a) throw new UnknownApprovalError(id);
    if (a.status !== 'pending') return { approval: a, alreadyAnswered: true };
    Object.assign(a, {
      status: answer.decision === 'approve' ? 'approved' : 'rejected',
      feedback: answer.feedback,
      by: answer.by,
      answeredAt: '2025-01-01T00:00:40.000Z',
    });
    return { approval: a, alreadyAnswered: false };
  }
}

export const testToken = 'sekrit-token';

/** A real inspector server with no hub to speak of, serving `daemon` on `/api/` with `testToken`. */
export async function serveFake(
  daemon: DaemonApi,
  options: Partial<ApiHandlerOptions> = {},
  server: InspectorServerOptions = {},
): Promise<InspectorServer> {
  const snapshot: InspectorSnapshot = {
    type: 'snapshot',
    seq: 0,
    nodes: [],
    events: [],
    votes: [],
    approvals: [],
    definitions: {},
    dropped: 0,
  };
  const hub: HubLike = { snapshot: () => snapshot, since: () => [], subscribe: () => () => {} };
  return startInspectorServer(hub, {
    ...server,
    api: createApiHandler(daemon, { token: testToken, ...options }),
  });
}
