/**
 * Where the mission tools send their work: a daemon of the MCP server's own (embedded: its state
 * dir, its event logs, its recovery) or a running `maestro daemon` it is attached to
 * (`--daemon URL`), so that missions started from a host survive the host. Both give the same
 * answers: the embedded one is the `Daemon` itself, the attached one its HTTP client.
 */
import type { LoggedEvent } from '../log/eventLog.js';
import type { MaestroClient } from '../daemon/daemonClient.js';
import type {
  AnswerRequest,
  AnswerResult,
  ApprovalRecord,
  DaemonApi,
  MissionStatus,
  MissionSummary,
  SubmitRequest,
} from '../daemon/daemonApi.js';

export interface MissionHost {
  /** `embedded` (its own state dir) or the daemon's URL. */
  readonly where: string;
  submit(request: SubmitRequest): Promise<MissionSummary>;
  status(id: string): Promise<MissionStatus>;
  list(): Promise<MissionSummary[]>;
  stop(id: string, reason?: string): Promise<MissionSummary>;
  approvals(): Promise<ApprovalRecord[]>;
  answer(id: string, answer: AnswerRequest): Promise<AnswerResult>;
  /** Up to `limit` of the mission's events after `afterSeq`, in order, from its log. */
  events(id: string, afterSeq: number, limit: number): Promise<LoggedEvent[]>;
}

/** The MCP server's own daemon: answers from memory and the log, at once. */
export function embeddedHost(daemon: DaemonApi): MissionHost {
  return {
    where: 'embedded',
    submit: (r) => daemon.submit(r),
    status: async (id) => daemon.status(id),
    list: async () => {
      await daemon.loaded?.();
      return daemon.list();
    },
    stop: (id, reason) => daemon.stop(id, reason),
    approvals: async () => {
      await daemon.loaded?.();
      return daemon.approvals();
    },
    answer: (id, a) => daemon.answer(id, a),
    events: async (id, afterSeq, limit) => {
      // The log's events are delivered before `events` returns; later ones are not waited for.
      const page: LoggedEvent[] = [];
      const off = daemon.events(id, afterSeq, (e) => {
        if (page.length < limit) page.push(e);
      });
      off();
      return page;
    },
  };
}

/** How long a page of an attached daemon's events waits for one more before it ends. */
const PAGE_IDLE_MS = 250;

/** A running daemon, over its HTTP API. */
export function attachedHost(client: MaestroClient): MissionHost {
  return {
    where: client.url,
    submit: (r) => client.submit(r),
    status: (id) => client.status(id),
    list: () => client.list(),
    stop: (id, reason) => client.stop(id, reason),
    approvals: () => client.approvals(),
    answer: (id, a) =>
      client.answer(id, {
        decision: a.decision,
        ...(a.feedback !== undefined && { feedback: a.feedback }),
      }),
    events: async (id, afterSeq, limit) => {
      // The stream stays open for live events: a page ends when it is full, at the mission's
      // end, or when nothing more comes for a moment.
      const page: LoggedEvent[] = [];
      const stop = new AbortController();
      let idle: NodeJS.Timeout | undefined;
      const quiet = () => {
        clearTimeout(idle);
        idle = setTimeout(() => stop.abort(), PAGE_IDLE_MS);
      };
      quiet();
      try {
        for await (const e of client.events(id, {
          lastEventId: afterSeq,
          signal: stop.signal,
          retries: 0,
        })) {
          page.push(e);
          if (page.length >= limit) break;
          quiet();
        }
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      } finally {
        clearTimeout(idle);
      }
      return page;
    },
  };
}
