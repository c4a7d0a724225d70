/**
 * What the hub knows of each mission from its log, whether or not a client watched: its state
 * in words (running, waiting at a gate, succeeded, failed, stopped, suspended), its trace id, the
 * budget used and its limits on the mission and on each stage, and its MAKER runners' progress.
 * The hub puts these on the nodes; `list` is the page's mission list when no daemon gives one
 * (`run --inspect`).
 */
import { MakerProgressFold } from './makerProgressFold.js';
import type { LoggedEvent } from '../log/eventLog.js';
import { stageChildId } from '../machines/stageSpec.js';
import { missionPath, str, type ObservedEvent } from './hubEvents.js';
import type {
  Amounts,
  BudgetView,
  MakerProgress,
  MissionOutcome,
  MissionPage,
  MissionRow,
} from './types.js';

/** A fact for a node: what the hub patches onto the graph. */
export interface NodeFacts {
  path: string;
  kind: 'mission' | 'supervisor';
  outcome?: MissionOutcome;
  traceId?: string;
  budget?: BudgetView;
}

export interface MissionQuery {
  /** States to keep (any when empty). */
  states?: string[];
  /** Text in the name or id, any case. */
  text?: string;
  offset?: number;
  limit?: number;
}

interface Tracked {
  row: MissionRow;
  /** Budget views by node path: the mission's and each stage's. */
  budgets: Map<string, BudgetView>;
  maker: MakerProgressFold;
  waiting: Set<string>;
  /** Stage budgets by the stage's name in the file. */
  stageLimits: Map<string, unknown>;
  /** The running stage, and what the mission had used when it began. */
  stageStart?: { path: string; used: Amounts };
}

const OUTCOMES = new Set<string>(['succeeded', 'failed', 'stopped']);
const zero = (): Amounts => ({ tokens: 0, costUsd: 0, samples: 0 });

export class MissionBoard {
  private readonly missions = new Map<string, Tracked>();

  /** Folds one event; the node facts it changed. */
  observe(e: ObservedEvent, at: number): NodeFacts[] {
    const id = str(e.mission);
    if (id === undefined) return [];
    const m = this.tracked(id, at);
    const root = missionPath(id);
    switch (e.type) {
      case 'mission.submitted': {
        m.row.name = str(e.name) ?? m.row.name;
        m.row.submittedAt = new Date(at).toISOString();
        const config = e.config as
          | { budget?: Amounts; stages?: { name?: string; budget?: Amounts }[] }
          | undefined;
        limit(m, root, config?.budget);
        // A stage's limit holds for each of its attempts (`stage/<name>@2`) and, for a workflow,
        // each of its phases (`stage/<name>.<phase>`): kept by name, given to each when it runs.
        for (const stage of config?.stages ?? [])
          if (typeof stage?.name === 'string' && stage.budget)
            m.stageLimits.set(stage.name, stage.budget);
        return [this.missionFacts(m, root)];
      }
      case 'mission.started':
      case 'mission.resumed':
        if (typeof e.name === 'string') m.row.name = e.name;
        if (typeof e.traceId === 'string') m.row.traceId = e.traceId;
        m.row.state = 'running';
        delete m.row.finishedAt;
        return [this.missionFacts(m, root)];
      case 'stage.entered': {
        m.row.stage = str(e.stage);
        const attempt = typeof e.attempt === 'number' ? e.attempt : 1;
        const path = `${missionPath(id)}/${stageChildId(String(e.stage), attempt)}`;
        // Stages run one after another: a stage has used what the mission used since it began.
        m.stageStart = { path, used: { ...budget(m, root).used } };
        return [];
      }
      case 'approval.requested':
        if (typeof e.id === 'string') m.waiting.add(e.id);
        return this.gates(m, root);
      case 'approval.answered':
      case 'approval.closed':
        if (typeof e.id === 'string') m.waiting.delete(e.id);
        return this.gates(m, root);
      case 'agent.call':
        return this.charge(m, e, root);
      case 'maker.snapshot':
        // Its usage is the mission's so far, exact (MAKER's samples included).
        return this.used(m, root, usageOf(e.usage));
      case 'stage.finished': {
        const facts = this.used(m, root, usageOf(e.usage));
        m.stageStart = undefined;
        return facts;
      }
      case 'mission.suspended':
      case 'mission.finished': {
        // As the daemon says it (missionStatusFold.ts): a stop is a failure whose reason is `stopped`.
        const reason = (e.error as { reason?: unknown } | undefined)?.reason;
        m.row.state =
          e.type === 'mission.suspended'
            ? 'suspended'
            : e.status === 'succeeded'
              ? 'succeeded'
              : reason === 'stopped' || e.status === 'stopped'
                ? 'stopped'
                : 'failed';
        m.row.finishedAt = new Date(at).toISOString();
        delete m.row.stage;
        m.waiting.clear();
        const facts = this.used(m, root, usageOf(e.usage));
        m.stageStart = undefined;
        return facts.length ? facts : [this.missionFacts(m, root)];
      }
      default:
        return [];
    }
  }

  /** A MAKER runner's progress moved by `e` (a vote, a snapshot, its stage's end). */
  maker(e: ObservedEvent): { path: string; progress: MakerProgress } | undefined {
    const id = str(e.mission);
    const m = id === undefined ? undefined : this.missions.get(id);
    const v = m?.maker.apply(e as LoggedEvent);
    if (!v) return undefined;
    const progress: MakerProgress = {
      step: v.step,
      samplesPerStep: v.samplesPerStep,
      redFlagRate: v.redFlagRate,
    };
    if (v.steps !== undefined) progress.steps = v.steps;
    if (v.stepsPerSecond !== undefined) progress.stepsPerSecond = v.stepsPerSecond;
    if (v.etaMs !== undefined) progress.etaMs = v.etaMs;
    return { path: v.path, progress };
  }

  /** The mission's state in words, when known. */
  outcome(id: string): MissionOutcome | undefined {
    return this.missions.get(id)?.row.state;
  }

  /** The missions seen, newest first, filtered and paged. */
  list(query: MissionQuery = {}): MissionPage {
    return pageOf(
      [...this.missions.values()].map((m) => ({ ...m.row })),
      query,
    );
  }

  has(id: string): boolean {
    return this.missions.has(id);
  }

  forget(id: string): void {
    this.missions.delete(id);
  }

  private tracked(id: string, at: number): Tracked {
    let m = this.missions.get(id);
    if (!m) {
      m = {
        row: { id, name: id, state: 'running', submittedAt: new Date(at).toISOString() },
        budgets: new Map(),
        maker: new MakerProgressFold(),
        waiting: new Set(),
        stageLimits: new Map(),
      };
      this.missions.set(id, m);
    }
    return m;
  }

  private missionFacts(m: Tracked, root: string): NodeFacts {
    const facts: NodeFacts = {
      path: root,
      kind: 'mission',
      outcome: m.row.state as MissionOutcome,
    };
    if (m.row.traceId !== undefined) facts.traceId = m.row.traceId;
    const b = m.budgets.get(root);
    if (b) facts.budget = b;
    return facts;
  }

  /** The mission's usage so far, and its current stage's share of it. */
  private used(m: Tracked, root: string, used: Amounts | undefined): NodeFacts[] {
    if (!used) return [];
    budget(m, root).used = used;
    const facts = [this.missionFacts(m, root)];
    const start = m.stageStart;
    if (start) {
      const b = budget(m, start.path);
      b.used = {
        tokens: Math.max(0, used.tokens - start.used.tokens),
        costUsd: Math.max(0, used.costUsd - start.used.costUsd),
        samples: Math.max(0, used.samples - start.used.samples),
      };
      facts.push({ path: start.path, kind: 'supervisor', budget: b });
    }
    return facts;
  }

  private gates(m: Tracked, root: string): NodeFacts[] {
    if (OUTCOMES.has(m.row.state) || m.row.state === 'suspended') return [];
    m.row.state = m.waiting.size > 0 ? 'awaiting_approval' : 'running';
    return [this.missionFacts(m, root)];
  }

  /** A model call's tokens and cost, on its mission and its stage. */
  private charge(m: Tracked, e: ObservedEvent, root: string): NodeFacts[] {
    if (e.ok !== true) return [];
    const u = (e.usage ?? {}) as Record<string, unknown>;
    const tokens =
      typeof u.totalTokens === 'number'
        ? u.totalTokens
        : Number(u.promptTokens ?? 0) + Number(u.completionTokens ?? 0);
    const add = (b: BudgetView) => {
      b.used.samples++;
      if (typeof tokens === 'number' && Number.isFinite(tokens)) b.used.tokens += tokens;
      if (typeof e.costUsd === 'number' && Number.isFinite(e.costUsd)) b.used.costUsd += e.costUsd;
    };
    add(budget(m, root));
    const facts = [this.missionFacts(m, root)];
    const stage = /^(mission\/[^/]+\/stage\/[^/]+)/.exec(str(e.path) ?? '')?.[1];
    if (stage !== undefined) {
      add(budget(m, stage));
      facts.push({ path: stage, kind: 'supervisor', budget: budget(m, stage) });
    }
    return facts;
  }
}

function budget(m: Tracked, path: string): BudgetView {
  let b = m.budgets.get(path);
  if (!b) {
    b = { used: zero() };
    m.budgets.set(path, b);
    // `…/stage/<name>[.<phase>][@<attempt>]`: the limit of the stage it is a run of.
    const name = /\/stage\/([^/.@]+)[^/]*$/.exec(path)?.[1];
    if (name !== undefined) limit(m, path, m.stageLimits.get(name));
  }
  return b;
}

function limit(m: Tracked, path: string, given: unknown): void {
  if (!given || typeof given !== 'object') return;
  const out: NonNullable<BudgetView['limit']> = {};
  for (const key of ['tokens', 'costUsd', 'samples', 'wallTimeMs'] as const) {
    const v = (given as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  }
  if (Object.keys(out).length > 0) budget(m, path).limit = out;
}

function usageOf(v: unknown): Amounts | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const u = v as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return { tokens: num(u.tokens), costUsd: num(u.costUsd), samples: num(u.samples) };
}

/** Rows filtered by state and text, newest first, one page of them. */
export function pageOf(rows: MissionRow[], query: MissionQuery): MissionPage {
  const text = query.text?.trim().toLowerCase();
  const states = query.states?.filter(Boolean);
  const all = rows
    .filter((r) => !states?.length || states.includes(r.state))
    .filter(
      (r) => !text || r.name.toLowerCase().includes(text) || r.id.toLowerCase().includes(text),
    )
    .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt) || b.id.localeCompare(a.id));
  const offset = Math.max(0, query.offset ?? 0);
  const limit = Math.max(1, Math.min(query.limit ?? 50, 500));
  return { total: all.length, offset, missions: all.slice(offset, offset + limit) };
}
