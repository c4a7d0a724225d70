/**
 * The inspector as text, for `maestro inspect`: the supervision tree with each node's state,
 * status, restarts and last crash, big pools folded into one line, then votes, approvals and the
 * last events.
 */
import type { InspectorEvent, InspectorNode, InspectorSnapshot, VoteView } from './types.js';

export interface RenderTreeOptions {
  /** Lines longer than this are cut with `…`. @default no limit */
  width?: number;
  /** A supervisor's children with one logic beyond this many are folded into one line. @default 50 */
  maxChildren?: number;
  /** @default 10 */
  maxEvents?: number;
}

type Entry = { node: InspectorNode } | { more: string; hidden: InspectorNode[] };

const statuses: InspectorNode['status'][] = ['active', 'done', 'error', 'stopped'];

export function renderTree(snapshot: InspectorSnapshot, opts: RenderTreeOptions = {}): string {
  const maxChildren = opts.maxChildren ?? 50;
  const ids = new Set(snapshot.nodes.map((n) => n.id));
  const children = new Map<string, InspectorNode[]>();
  const roots: InspectorNode[] = [];
  for (const n of snapshot.nodes) {
    if (n.parent !== undefined && n.parent !== n.id && ids.has(n.parent)) {
      const list = children.get(n.parent);
      if (list) list.push(n);
      else children.set(n.parent, [n]);
    } else roots.push(n);
  }

  const lines = [
    `seq ${snapshot.seq} · ${num(snapshot.nodes.length)} nodes · ${num(snapshot.dropped)} dropped`,
  ];
  const seen = new Set<string>();
  const walk = (node: InspectorNode, prefix: string, branch: string): void => {
    seen.add(node.id);
    lines.push(prefix + branch + nodeLine(node));
    const entries = fold(children.get(node.id) ?? [], maxChildren).filter(
      (e) => !('node' in e) || !seen.has(e.node.id),
    );
    const inner = prefix + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
    entries.forEach((e, i) => {
      const b = i === entries.length - 1 ? '└─ ' : '├─ ';
      if ('node' in e) walk(e.node, inner, b);
      else {
        for (const h of e.hidden) seen.add(h.id);
        lines.push(inner + b + e.more);
      }
    });
  };
  for (const root of roots) walk(root, '', '');
  // Nodes whose parents form a cycle are reachable from no root: still show them.
  for (const n of snapshot.nodes) if (!seen.has(n.id)) walk(n, '', '');

  if (snapshot.votes.length) {
    lines.push('', 'votes');
    for (const v of snapshot.votes.slice(-10)) lines.push(`  ${voteLine(v)}`);
  }
  if (snapshot.approvals.length) {
    lines.push('', `approvals (${snapshot.approvals.length} pending)`);
    for (const a of snapshot.approvals) lines.push(`  ${a.id}  ${a.path}: ${a.question}`);
  }
  const last = snapshot.events.slice(-(opts.maxEvents ?? 10));
  if (last.length) {
    lines.push('', `events (last ${last.length} of ${num(snapshot.events.length)})`);
    for (const e of last) lines.push(`  ${eventLine(e)}`);
  }
  const width = opts.width;
  return lines
    .map((l) =>
      width !== undefined && [...l].length > width
        ? `${[...l].slice(0, Math.max(1, width - 1)).join('')}…`
        : l,
    )
    .join('\n');
}

/** A state value in one word where it can be: `running`, `sampling.drawing`, `(a.x, b.y)`. */
export function compactValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return String(value);
  const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    const inner = compactValue(v);
    return inner ? `${k}.${inner}` : k;
  });
  return parts.length === 1 ? parts[0]! : parts.length ? `(${parts.join(', ')})` : '';
}

/** Keeps the first `max` children of each logic; the rest become one summary line per logic. */
function fold(kids: InspectorNode[], max: number): Entry[] {
  const shown = new Map<string, number>();
  const hidden = new Map<string, InspectorNode[]>();
  const out: Entry[] = [];
  for (const k of kids) {
    const n = shown.get(k.logic) ?? 0;
    if (n < max) {
      shown.set(k.logic, n + 1);
      out.push({ node: k });
    } else {
      const list = hidden.get(k.logic);
      if (list) list.push(k);
      else hidden.set(k.logic, [k]);
    }
  }
  for (const list of hidden.values()) {
    const kinds = new Set(list.map((k) => k.kind));
    const noun = kinds.size === 1 ? `${list[0]!.kind}s` : 'children';
    const counts = statuses
      .map((s) => [s, list.filter((k) => k.status === s).length] as const)
      .filter(([, c]) => c > 0);
    out.push({
      more: `… ${num(list.length)} more ${noun}: ${counts.map(([s, c]) => `${num(c)} ${s}`).join(', ')}`,
      hidden: list,
    });
  }
  return out;
}

function nodeLine(n: InspectorNode): string {
  const parts = [tail(n), n.kind];
  const value = compactValue(n.value);
  if (value) parts.push(value);
  parts.push(n.status);
  if (n.restarts > 0) parts.push(`↻${n.restarts}`);
  if (n.lastError) parts.push(`✗ ${oneLine(n.lastError.message)}`);
  return parts.join('  ');
}

/** The path without what it shares with its parent's: `mission/m/stage/a` under `mission/m/supervisor` → `stage/a`. */
function tail(n: InspectorNode): string {
  if (n.parent === undefined) return n.id;
  const mine = n.id.split('/');
  const theirs = n.parent.split('/');
  let i = 0;
  while (i < mine.length - 1 && mine[i] === theirs[i]) i++;
  return mine.slice(i).join('/');
}

function voteLine(v: VoteView): string {
  const tallies = Object.entries(v.tallies)
    .sort((a, b) => b[1] - a[1])
    .map(([answer, c]) => `${JSON.stringify(cut(answer, 24))} ${c}`);
  const outcome =
    v.outcome === 'decided'
      ? `decided ${JSON.stringify(cut(v.winner ?? '', 24))}`
      : (v.outcome ?? 'voting');
  const p = v.progress;
  const progress = p
    ? `  (step ${num(p.step)}${p.steps !== undefined ? ` of ${num(p.steps)}` : ''}, ${p.samplesPerStep.toFixed(1)} samples/step, ${(p.redFlagRate * 100).toFixed(1)}% red-flagged${p.etaMs ? `, ETA ${Math.ceil(p.etaMs / 1000)} s` : ''})`
    : '';
  return `${v.path}  step ${v.step}  k=${v.k}: ${tallies.join(', ') || 'no votes'} · ${v.samples} samples, ${v.flagged} flagged · ${outcome}${progress}`;
}

function eventLine(e: InspectorEvent): string {
  // In words when the server gave them (`maestro run --inspect`, the daemon); `--json` has the data.
  if (e.text !== undefined)
    return `#${e.seq} ${new Date(e.at).toISOString().slice(11, 23)}  ${oneLine(e.text)}`;
  const data = Object.keys(e.data).length ? `  ${oneLine(JSON.stringify(e.data))}` : '';
  return `#${e.seq} ${new Date(e.at).toISOString().slice(11, 23)}  ${e.type}${e.path ? `  ${e.path}` : ''}${data}`;
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
