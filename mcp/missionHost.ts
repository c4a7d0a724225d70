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
  /**
   * The mission's events after `afterSeq`, in order, from its log, each to `visit` until it
   * returns false or the log's events are all seen (live ones are not waited for): one pass.
   */
  scan(id: string, afterSeq: number, visit: (e: LoggedEvent) => boolean): Promise<void>;
}

/** Up to `limit` of the mission's events after `afterSeq`, in order. */
export async function eventPage(
  host: MissionHost,
  id: string,
  afterSeq: number,
  limit: number,
): Promise<LoggedEvent[]> {
  const page: LoggedEvent[] = [];
  await host.scan(id, afterSeq, (e) => page.push(e) < limit);
  return page;
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
    scan: async (id, afterSeq, visit) => {
      // The log's events are delivered before `events` returns; later ones are not waited for.
      let going = true;
      const off = daemon.events(id, afterSeq, (e) => {
        if (going) going = visit(e);
      });
      off();
    },
  };
}

/**
 * How long an attached scan waits for the daemon's first event (it may be reading a long log),
 * then for each next one, before it takes the log's events as all seen.
 */
const FIRST_EVENT_MS = 5000;
const NEXT_EVENT_MS = 250;

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
    scan: async (id, afterSeq, visit) => {
      // The stream stays open for live events: a scan ends when `visit` says so, at the
      // mission's end, or when nothing more comes for a moment.
      const stop = new AbortController();
      let idle: NodeJS.Timeout | undefined;
      const quiet = (ms: number) => {
        clearTimeout(idle);
        idle = setTimeout(() => stop.abort(), ms);
      };
      quiet(FIRST_EVENT_MS);
      try {
        for await (const e of client.events(id, {
          lastEventId: afterSeq,
          signal: stop.signal,
          retries: 0,
        })) {
          if (!visit(e)) break;
          quiet(NEXT_EVENT_MS);
        }
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      } finally {
        clearTimeout(idle);
      }
    },
  };
}
