// What a stage did, beyond its lines of history: a plan stage's task graph with each task's
// state, a workflow's candidates with their evidence and the selection's steps, a council's
// rounds with their positions and quorum. Folded from the mission's history (the records the
// timeline fetched), drawn as text and SVG built node by node: nothing here parses HTML.
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, ...kids) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const k of kids) el.append(k);
  return el;
};
const cut = (s, n) => (String(s).length > n ? `${String(s).slice(0, n - 1)}…` : String(s));
const stageOfPath = (p) => /\/stage\/([^/@.]+)/.exec(p || '')?.[1] || '';

/** The records of a mission's history folded per stage: plans, workflow phases, council rounds. */
export function foldStages(entries) {
  const stages = new Map();
  const stage = (name) => {
    if (!stages.has(name))
      stages.set(name, { name, plans: new Map(), workflow: null, council: [] });
    return stages.get(name);
  };
  for (const { raw: e, stage: named } of entries) {
    if (!e || typeof e !== 'object') continue;
    const s = () => stage(named || stageOfPath(e.path));
    switch (e.type) {
      case 'plan.compiled': {
        // Each compiled plan is a version; a revised one keeps the states of the tasks it kept.
        const plans = s().plans;
        const versions = plans.get(e.path) || [];
        const prev = versions.at(-1);
        const tasks = Array.isArray(e.tasks) ? e.tasks : [];
        const state = new Map();
        for (const t of tasks) if (prev?.state.has(t.id)) state.set(t.id, prev.state.get(t.id));
        versions.push({ version: versions.length + 1, tasks, levels: e.levels || [], state });
        plans.set(e.path, versions);
        break;
      }
      case 'plan.revised': {
        const last = s().plans.get(e.path)?.at(-1);
        if (last) last.revised = { replan: e.replan, failed: e.failed || [] };
        break;
      }
      case 'task.started':
      case 'task.finished':
      case 'task.failed':
      case 'task.blocked': {
        const plan = s().plans.get(e.path)?.at(-1);
        if (plan) plan.state.set(e.task, e.type.slice(5));
        break;
      }
      case 'workflow.candidate': {
        const st = s();
        st.workflow ??= { candidates: [], selections: [] };
        st.workflow.candidates.push({ phase: phaseOf(e.path), ...e.evidence });
        break;
      }
      case 'workflow.selection': {
        const st = s();
        st.workflow ??= { candidates: [], selections: [] };
        st.workflow.selections.push({ phase: phaseOf(e.path), ...e.selection });
        break;
      }
      case 'council.round':
        s().council.push(e);
        break;
    }
  }
  return [...stages.values()].filter((x) => x.plans.size || x.workflow || x.council.length);
}

const phaseOf = (p) => /\/phase\/([^/]+)/.exec(p || '')?.[1] || '';

/** Draws the stage views of `entries` into `el`. */
export function renderStageViews(el, entries) {
  const stages = foldStages(entries);
  if (!stages.length) {
    el.replaceChildren(
      h('p', { class: 'muted' }, 'no plan, workflow or council stage in this mission (yet)'),
    );
    return;
  }
  el.replaceChildren(
    ...stages.map((s) =>
      h(
        'section',
        { class: 'stage-view', 'data-testid': 'stage-view', 'data-stage': s.name },
        h('h3', {}, `stage ${s.name}`),
        ...[...s.plans.values()].flatMap((versions) =>
          versions.map((v) =>
            h(
              'div',
              { class: 'plan-version', 'data-testid': 'plan-version', 'data-version': v.version },
              h(
                'h4',
                {},
                `plan ${v.version}${v.version > 1 ? ' (revised)' : ''}: ${v.tasks.length} task${v.tasks.length === 1 ? '' : 's'}`,
                v.revised
                  ? ` · replanned around ${v.revised.failed.join(', ') || 'a failure'}`
                  : '',
              ),
              planGraph(v),
            ),
          ),
        ),
        s.workflow ? workflowView(s.workflow) : '',
        s.council.length ? councilView(s.council) : '',
      ),
    ),
  );
}

const BOX_W = 124;
const BOX_H = 34;
const GAP_X = 12;
const GAP_Y = 30;

/** A plan's tasks by level, top to bottom, an arrow from each dependency; each box its task's state. */
function planGraph(plan) {
  const levels = plan.levels.length ? plan.levels : [plan.tasks.map((t) => t.id)];
  const widest = Math.max(1, ...levels.map((l) => l.length));
  const at = new Map();
  levels.forEach((ids, y) => {
    // Each level centred under the widest one.
    const left = 10 + ((widest - ids.length) * (BOX_W + GAP_X)) / 2;
    for (const [x, id] of ids.entries())
      at.set(id, { x: left + x * (BOX_W + GAP_X), y: 10 + y * (BOX_H + GAP_Y) });
  });
  const width = 20 + widest * (BOX_W + GAP_X) - GAP_X;
  const height = 20 + levels.length * (BOX_H + GAP_Y) - GAP_Y;
  const root = svg('svg', {
    class: 'plan-dag',
    'data-testid': 'plan-dag',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
  });
  root.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'plan-arrow',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto',
        },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'plan-arrowhead' }),
      ),
    ),
  );
  for (const t of plan.tasks) {
    const to = at.get(t.id);
    for (const dep of t.dependsOn || []) {
      const from = at.get(dep);
      if (!from || !to) continue;
      const x1 = from.x + BOX_W / 2;
      const y1 = from.y + BOX_H;
      const x2 = to.x + BOX_W / 2;
      const y2 = to.y;
      const mid = (y1 + y2) / 2;
      root.append(
        svg('path', {
          class: 'plan-edge',
          'data-from': dep,
          'data-to': t.id,
          d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`,
          'marker-end': 'url(#plan-arrow)',
        }),
      );
    }
  }
  for (const t of plan.tasks) {
    const p = at.get(t.id);
    if (!p) continue;
    const state = plan.state.get(t.id) || 'pending';
    const title = svg('title');
    title.textContent = `${t.id} (${t.agent}): ${state}`;
    const name = svg('text', { x: p.x + 8, y: p.y + 14, class: 'plan-task-id' });
    name.textContent = cut(t.id, 17);
    const sub = svg('text', { x: p.x + 8, y: p.y + 27, class: 'plan-task-sub' });
    sub.textContent = `${cut(t.agent, 10)} · ${state}`;
    root.append(
      svg(
        'g',
        {
          class: `plan-task pt-${state}`,
          'data-testid': 'plan-task',
          'data-task': t.id,
          'data-state': state,
        },
        title,
        svg('rect', { x: p.x, y: p.y, width: BOX_W, height: BOX_H, rx: 5 }),
        name,
        sub,
      ),
    );
  }
  return h('div', { class: 'plan-wrap' }, root);
}

const checkText = (name, c) =>
  c
    ? `${name} ${c.ok ? '✓' : '✗'}${c.passed !== undefined ? ` ${c.passed} passed` : ''}${c.failed ? `, ${c.failed} failed` : ''}${c.killed ? ` (${c.killed})` : ''}`
    : '';

function workflowView(w) {
  return h(
    'div',
    { class: 'workflow-view' },
    h('h4', {}, 'candidates and their evidence'),
    h(
      'table',
      { class: 'candidates' },
      h('tr', {}, ...['phase', 'candidate', 'from', 'patch', 'checks'].map((x) => h('th', {}, x))),
      ...w.candidates.map((c) =>
        h(
          'tr',
          { 'data-testid': 'workflow-candidate', 'data-candidate': c.id },
          h('td', {}, c.phase),
          h('td', {}, c.id),
          h('td', {}, c.source || ''),
          h(
            'td',
            {},
            c.apply?.ok
              ? `applies: ${c.apply.stats.files} files, +${c.apply.stats.added} −${c.apply.stats.removed}`
              : `does not apply: ${c.apply?.reason || '?'}`,
          ),
          h(
            'td',
            {},
            [
              checkText('test', c.test),
              checkText('lint', c.lint),
              checkText('typecheck', c.typecheck),
            ]
              .filter(Boolean)
              .join(' · ') || (c.flagged ? 'red-flagged' : '—'),
          ),
        ),
      ),
    ),
    ...w.selections.map((sel) =>
      h(
        'div',
        { class: 'selection', 'data-testid': 'workflow-selection' },
        h(
          'div',
          { class: 'sel-outcome' },
          `${sel.phase}: ${sel.outcome === 'selected' ? `selected ${sel.chosen}` : sel.outcome === 'tied' ? `tied: ${(sel.tied || []).join(', ')}` : 'no candidate passes'}`,
        ),
        h(
          'ol',
          {},
          ...(sel.steps || []).map((st) =>
            h(
              'li',
              {},
              `${st.step}: kept ${(st.kept || []).join(', ') || 'none'}`,
              ...(st.dropped || []).map((d) =>
                h('div', { class: 'dropped' }, `dropped ${d.id}: ${d.why}`),
              ),
              st.note ? h('div', { class: 'muted' }, st.note) : '',
            ),
          ),
        ),
      ),
    ),
  );
}

function councilView(rounds) {
  return h(
    'div',
    { class: 'council-view' },
    h('h4', {}, 'council rounds'),
    ...rounds.map((r) =>
      h(
        'div',
        {
          class: `council-round ${r.outcome}`,
          'data-testid': 'council-round',
          'data-round': r.round,
        },
        h(
          'div',
          { class: 'round-head' },
          `round ${r.round}${r.round === 0 ? ' (independent answers)' : ''}: ${r.outcome === 'quorum' ? 'quorum met' : `no quorum${r.reason ? ` (${r.reason})` : ''}`} · ${r.voters} voting, ${r.needed} needed`,
        ),
        ...(r.positions || []).map((p) =>
          h(
            'div',
            { class: 'position' },
            h('span', { class: 'votes-n' }, `${(p.members || []).length}/${r.needed}`),
            h('span', { class: 'answer', title: p.answer }, cut(p.answer, 120)),
            h('span', { class: 'muted' }, (p.members || []).join(', ')),
          ),
        ),
        ...(r.gone || []).map((g) => h('div', { class: 'muted' }, `${g.agent} left: ${g.reason}`)),
      ),
    ),
  );
}
