/**
 * The daemon's metrics, as Prometheus text at `GET /metrics` (prom-client, a registry of its own):
 * missions by state (counted when scraped), and from every mission's events as its log takes
 * them: calls, tokens and cost by provider and model, restarts by supervisor, MAKER vote
 * samples, the time gates waited for a person, and the event logs' fdatasync latency. Read-only,
 * behind the same read rule as the API.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { droppedSpans } from '../kernel/tracing.js';
import { EventLog, type LoggedEvent } from '../log/eventLog.js';
import { MISSION_STATES, type MissionSummary } from './daemonApi.js';

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'provider' | 'model' | 'outcome'>;
  private readonly tokens: Counter<'provider' | 'model' | 'kind'>;
  private readonly cost: Counter<'provider' | 'model'>;
  private readonly restarts: Counter<'supervisor'>;
  private readonly samples: Counter;
  private readonly gateWait: Histogram;
  /** When each waiting gate was asked (`<mission>/<stage>/<attempt>` → ms). */
  private readonly asked = new Map<string, number>();

  constructor(missions: () => readonly MissionSummary[]) {
    const registers = [this.registry];
    new Gauge({
      name: 'maestro_missions',
      help: 'Missions the daemon knows, by state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map<string, number>(MISSION_STATES.map((s) => [s, 0]));
        for (const m of missions()) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    this.calls = new Counter({
      name: 'maestro_agent_calls_total',
      help: "Agents' provider calls, by provider, model and outcome (ok, failed)",
      labelNames: ['provider', 'model', 'outcome'],
      registers,
    });
    this.tokens = new Counter({
      name: 'maestro_tokens_total',
      help: "Tokens of agents' calls, by provider, model and kind (prompt, completion)",
      labelNames: ['provider', 'model', 'kind'],
      registers,
    });
    this.cost = new Counter({
      name: 'maestro_cost_usd_total',
      help: "US dollars of agents' calls, by provider and model",
      labelNames: ['provider', 'model'],
      registers,
    });
    this.restarts = new Counter({
      name: 'maestro_restarts_total',
      help: 'Children restarted, by the supervisor that restarted them',
      labelNames: ['supervisor'],
      registers,
    });
    this.samples = new Counter({
      name: 'maestro_vote_samples_total',
      help: 'Samples drawn by MAKER votes (red-flagged ones included)',
      registers,
    });
    this.gateWait = new Histogram({
      name: 'maestro_gate_wait_seconds',
      help: 'How long an approval gate waited for its answer',
      buckets: [1, 10, 60, 300, 1800, 3600, 4 * 3600, 24 * 3600],
      registers,
    });
    const fsync = new Histogram({
      name: 'maestro_event_log_fsync_seconds',
      help: "The mission logs' fdatasync latency",
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
    EventLog.syncObserver = (ms) => fsync.observe(ms / 1000);
    new Counter({
      name: 'maestro_trace_spans_dropped_total',
      help: 'Spans the OpenTelemetry exporter could not export (an endpoint down or too slow)',
      registers,
      collect() {
        this.reset();
        this.inc(droppedSpans());
      },
    });
  }

  /** Takes one event of a mission's log (the daemon's `mirror`). */
  observe(e: LoggedEvent): void {
    switch (e.type) {
      case 'agent.call': {
        const labels = { provider: e.provider, model: (e.ok && e.model) || 'unknown' };
        this.calls.inc({ ...labels, outcome: e.ok ? 'ok' : 'failed' });
        if (e.ok) {
          this.tokens.inc({ ...labels, kind: 'prompt' }, e.usage?.promptTokens ?? 0);
          this.tokens.inc({ ...labels, kind: 'completion' }, e.usage?.completionTokens ?? 0);
          this.cost.inc(labels, e.costUsd ?? 0);
        }
        return;
      }
      case 'supervisor.decision':
        if (e.action === 'restart') this.restarts.inc({ supervisor: withoutMission(e.supervisor) });
        return;
      case 'maker.vote':
        this.samples.inc(e.samples);
        return;
      case 'approval.requested':
        this.asked.set(e.id, Date.parse(e.ts));
        return;
      case 'approval.answered':
      case 'approval.closed': {
        const at = this.asked.get(e.id);
        this.asked.delete(e.id);
        if (at !== undefined && e.type === 'approval.answered')
          this.gateWait.observe(Math.max(0, Date.parse(e.ts) - at) / 1000);
        return;
      }
      default:
        return;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** `mission/<id>/stage/x` → `stage/x`: a label per supervisor, not per mission. */
function withoutMission(path: string): string {
  return path.replace(/^mission\/[^/]+\/?/, '') || 'mission';
}
