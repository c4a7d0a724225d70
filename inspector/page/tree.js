// The supervision tree: one indented row per actor; a supervisor's children that share a logic
// and number more than POOL_AT fold into one pool row, which expands into a virtualized list.
import { h, fill, fmt, virtualList, RowCache, setChildren } from './dom.js';
import { stateChip } from './missions.js';
import { budgetText } from './panels.js';

const POOL_AT = 50;
const ROW = 24;
const STATUSES = ['active', 'done', 'error', 'stopped'];

/** The path without what it shares with its parent's: `mission/m/stage/a` under `mission/m/supervisor` → `stage/a`. */
export function tail(node) {
  if (!node.parent) return node.id;
  const mine = node.id.split('/');
  const theirs = node.parent.split('/');
  let i = 0;
  while (i < mine.length - 1 && mine[i] === theirs[i]) i++;
  return mine.slice(i).join('/');
}

export function compactValue(v) {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object') return String(v);
  const parts = Object.entries(v).map(([k, x]) =>
    compactValue(x) ? `${k}.${compactValue(x)}` : k,
  );
  return parts.length === 1 ? parts[0] : parts.length ? `(${parts.join(', ')})` : '';
}

function nodeRow(el, n, depth, selected) {
  return fill(
    el,
    {
      class: `node st-${n.status}${n.id === selected ? ' selected' : ''}`,
      'data-testid': 'node',
      'data-path': n.id,
      role: 'treeitem',
      style: `--depth:${depth}`,
    },
    h('span', { class: 'dot', title: n.status }),
    h('span', { class: 'tail' }, tail(n)),
    h('span', { class: 'kind' }, n.kind),
    n.logic !== n.kind ? h('span', { class: 'logic' }, n.logic) : '',
    n.value !== undefined ? h('span', { class: 'val' }, compactValue(n.value)) : '',
    n.outcome ? stateChip(n.outcome, 'outcome') : '',
    n.budget
      ? h('span', { class: 'budget', title: 'budget used (/ limit)' }, budgetText(n.budget))
      : '',
    n.restarts > 0
      ? h(
          'span',
          { class: 'badge restarts', 'data-testid': 'restarts', title: `${n.restarts} restarts` },
          `↻ ${n.restarts}`,
        )
      : '',
    n.lastError
      ? h('span', { class: 'crash', 'data-testid': 'crash', title: n.lastError.message }, '✗')
      : '',
  );
}

/** Draws the tree into `el`, keeping rows, open pools and their scroll positions across redraws. */
export class TreeView {
  constructor(el, onSelect) {
    this.el = el;
    this.open = new Set();
    this.cache = new RowCache();
    this.onToggle = () => {};
    el.addEventListener('click', (e) => {
      const pool = e.target.closest('.pool');
      if (pool) {
        const key = pool.dataset.pool;
        if (this.open.has(key)) this.open.delete(key);
        else this.open.add(key);
        this.onToggle();
        return;
      }
      const row = e.target.closest('[data-path]');
      if (row) onSelect(row.dataset.path);
    });
  }

  row(n, depth, selected) {
    const sig = `${depth}|${n.id === selected}|${n.kind}|${n.logic}|${n.status}|${n.restarts}|${JSON.stringify(n.value)}|${n.lastError ? n.lastError.message : ''}|${n.outcome}|${JSON.stringify(n.budget)}`;
    return this.cache.get(n.id, sig, (el) => nodeRow(el, n, depth, selected));
  }

  render(nodes, selected) {
    const kids = new Map();
    const roots = [];
    for (const n of nodes.values()) {
      if (n.parent && n.parent !== n.id && nodes.has(n.parent)) {
        if (!kids.has(n.parent)) kids.set(n.parent, []);
        kids.get(n.parent).push(n);
      } else roots.push(n);
    }
    const out = [];
    const pools = [];
    const seen = new Set();
    const walk = (n, depth) => {
      if (seen.has(n.id)) return;
      seen.add(n.id);
      out.push(this.row(n, depth, selected));
      const children = kids.get(n.id) || [];
      const byLogic = new Map();
      for (const c of children) {
        if (!byLogic.has(c.logic)) byLogic.set(c.logic, []);
        byLogic.get(c.logic).push(c);
      }
      for (const c of children) {
        const group = byLogic.get(c.logic);
        if (group.length <= POOL_AT) walk(c, depth + 1);
        else if (group[0] === c) this.pool(n.id, c.logic, group, depth + 1, out, pools);
      }
    };
    for (const r of roots) walk(r, 0);
    setChildren(this.el, out);
    for (const [box, group] of pools)
      virtualList(box, group.length, ROW, (i) => this.row(group[i], 0, selected));
    this.cache.sweep();
  }

  pool(parent, logic, group, depth, out, pools) {
    const key = `${parent}|${logic}`;
    const counts = new Map();
    let restarts = 0;
    let crashed = 0;
    for (const n of group) {
      counts.set(n.status, (counts.get(n.status) || 0) + 1);
      restarts += n.restarts;
      if (n.lastError) crashed++;
    }
    const isOpen = this.open.has(key);
    const chips = STATUSES.filter((s) => counts.get(s))
      .map((s) => `${s}:${counts.get(s)}`)
      .join(',');
    out.push(
      this.cache.get(
        `pool:${key}`,
        `${depth}|${isOpen}|${group.length}|${chips}|${restarts}|${crashed}`,
        (el) =>
          fill(
            el,
            {
              class: 'pool',
              'data-testid': 'pool',
              'data-pool': key,
              style: `--depth:${depth}`,
              title: 'click to expand',
            },
            h('span', { class: 'caret' }, isOpen ? '▾' : '▸'),
            h('span', { class: 'tail' }, `${logic} × ${fmt(group.length)}`),
            ...STATUSES.filter((s) => counts.get(s)).map((s) =>
              h('span', { class: `chip st-${s}` }, `${fmt(counts.get(s))} ${s}`),
            ),
            restarts ? h('span', { class: 'badge restarts' }, `↻ ${fmt(restarts)}`) : '',
            crashed ? h('span', { class: 'crash' }, `✗ ${fmt(crashed)}`) : '',
          ),
      ),
    );
    if (isOpen) {
      const height = Math.min(group.length * ROW, 360);
      const box = this.cache.get(`list:${key}`, `${depth}|${height}`, (el) =>
        fill(el, {
          class: 'vlist pool-list',
          'data-testid': 'pool-list',
          style: `--depth:${depth};height:${height}px`,
        }),
      );
      out.push(box);
      pools.push([box, group]);
    }
  }
}
