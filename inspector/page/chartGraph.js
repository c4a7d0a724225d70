// A StateDef as an ELK graph: one node per state (compound states hold their children, a
// parallel state's children are its regions), a small initial marker in each compound state, and
// one edge per pair of states a transition joins, labelled with its events. A transition without
// a target is written on its state instead. Pure: no DOM, so the sizes come from the
// `measure(text, font)` the caller passes in.

export const FONT_KEY = '600 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
export const FONT_NOTE = '11px ui-sans-serif, system-ui, sans-serif';
export const FONT_LABEL = '11px ui-sans-serif, system-ui, sans-serif';
export const LINE = 14;
export const HEAD = 26;
const PAD_X = 12;
const LABEL_PAD = 8;
const NOTE_WIDTH = 140;
const ROOT_NOTE_WIDTH = 520;
const INIT = 10;
const HANDLE = 12;
/** ELK does not pass options down to children: every compound state gets these. */
const LAYERED = {
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.spacing.nodeNode': '28',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeLabel': '3',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '8',
  // Final states (sinks) in the last layer, and compact columns.
  'elk.layered.layering.strategy': 'LONGEST_PATH',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
};

/** Dotted paths of every active state: {a: {b: 'c'}} → a, a.b, a.b.c. */
export function activePaths(value, prefix = '', out = new Set()) {
  if (typeof value === 'string') out.add(prefix + value);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(prefix + k);
      activePaths(v, `${prefix}${k}.`, out);
    }
  }
  return out;
}

/** The active paths with no active child: the leaves (several, under a parallel state). */
export function activeLeaves(active) {
  const out = new Set();
  for (const p of active) if (![...active].some((q) => q.startsWith(`${p}.`))) out.add(p);
  return out;
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * An event as its edge is labelled: `xstate.after.200.m.s` → `after 200ms`,
 * `xstate.done.actor.x` → `done: x`, an invoke without an id's → `onDone`; others as they are.
 */
export function eventLabel(event) {
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after) return /^\d+$/.test(after[1]) ? `after ${after[1]}ms` : `after ${after[1]}`;
  const actor = /^xstate\.(done|error)\.actor\.(.*)$/.exec(event);
  if (actor)
    return /^\d+\./.test(actor[2])
      ? `on${actor[1] === 'done' ? 'Done' : 'Error'}`
      : `${actor[1]}: ${actor[2]}`;
  const state = /^xstate\.done\.state\./.exec(event);
  if (state) return 'onDone';
  return event;
}

/**
 * The dotted path (from the root, '' for the root) that `target` names, seen from the state at
 * `from`, or undefined. definitions.ts gives paths from the root (`stage.sub`); XState's own
 * spellings are resolved too: `#machine.a.b`, `.child` (a child of `from`) and a sibling's key.
 */
export function resolveTarget(target, from, paths, machine) {
  const parent = from.includes('.') ? from.slice(0, from.lastIndexOf('.')) : '';
  const join = (a, b) => (a ? `${a}.${b}` : b);
  const tries = [];
  if (target === `#${machine}` || target === machine) tries.push('');
  if (target.startsWith(`#${machine}.`))
    tries.push(target.replace(new RegExp(`^#${escapeRe(machine)}\\.`), ''));
  if (target.startsWith('.')) tries.push(join(from, target.slice(1)));
  tries.push(target, join(parent, target));
  return tries.find((p) => paths.has(p));
}

const typeOf = (def) => def.type || (def.states?.length ? 'compound' : 'atomic');

/** Greedy word wrap of `items` joined by ' · ' into lines no wider than `max`. */
function wrap(items, max, measure) {
  const lines = [];
  let line = '';
  for (const item of items) {
    const next = line ? `${line} · ${item}` : item;
    if (line && measure(next, FONT_NOTE) > max) {
      lines.push(line);
      line = item;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The edges out of the state at `path` into `g.edges` (ELK's) and `g.info` (ours), and what is
 * left to write on the state: its transitions without a target (or with one not in the chart).
 * Events between the same two states share one edge, their labels stacked. An edge back up the
 * definition's order is given to ELK reversed (and drawn with the arrow at its start), so the
 * chart reads top-down in the order the states are written.
 */
function transitionsOf(d, path, g) {
  const internal = [];
  const mine = new Map();
  let handle;
  for (const t of d.on || []) {
    if (!t.targets.length) {
      internal.push(eventLabel(t.event));
      continue;
    }
    for (const target of t.targets) {
      const to = resolveTarget(target, path, g.ids, g.machine);
      if (to === undefined) {
        internal.push(`${eventLabel(t.event)} → ${target}`);
        continue;
      }
      const label = eventLabel(t.event);
      let edge = mine.get(to);
      if (!edge) {
        // ELK routes an edge into a descendant through the state's border, from outside: these
        // start at a handle inside the state instead, as if taken from any of its states.
        const inward = path === '' ? to !== '' : to.startsWith(`${path}.`);
        if (inward) handle ??= `h${g.ids.get(path)}`;
        const source = inward ? handle : g.ids.get(path);
        const outward = to === '' || path.startsWith(`${to}.`);
        const reversed = !inward && !outward && g.order.get(to) < g.order.get(path);
        const id = `e${g.info.size}`;
        const box = {
          text: '',
          width: 0,
          height: 0,
          layoutOptions: { 'elk.edgeLabels.inline': true },
        };
        edge = { info: { from: path, to, reversed, items: [] }, box };
        g.info.set(id, edge.info);
        mine.set(to, edge);
        g.edges.push({
          id,
          sources: [reversed ? g.ids.get(to) : source],
          targets: [reversed ? source : g.ids.get(to)],
          labels: [box],
        });
      }
      const { info, box } = edge;
      if (info.items.some((i) => i.event === t.event)) continue;
      info.items.push({ event: t.event, label });
      box.text = info.items.map((i) => i.label).join('\n');
      box.width = Math.max(box.width, g.measure(label, FONT_LABEL) + LABEL_PAD);
      box.height = info.items.length * LINE;
    }
  }
  return { internal, handle };
}

/**
 * The ELK graph for `def`, plus what the drawing needs beside ELK's coordinates: `states` by
 * ELK id (path, def, type, note lines; or an initial marker, a handle) and `edges` by ELK id
 * (from, to, reversed, and the events it stands for).
 */
export function buildGraph(def, measure) {
  const states = new Map();
  const g = {
    ids: new Map(),
    order: new Map(),
    info: new Map(),
    edges: [],
    measure,
    machine: def.key,
  };
  // First pass: ids for every path, so targets anywhere can be resolved.
  const index = (d, path) => {
    g.order.set(path, g.ids.size);
    g.ids.set(path, `s${g.ids.size}`);
    for (const c of d.states || []) index(c, path ? `${path}.${c.key}` : c.key);
  };
  index(def, '');

  const node = (d, path, region) => {
    const id = g.ids.get(path);
    const type = typeOf(d);
    const { internal, handle } = transitionsOf(d, path, g);
    const keyWidth = measure(d.key, FONT_KEY) + (type === 'final' ? 8 : 0);
    const notes = [
      ...(d.invoke?.length ? [`invoke: ${d.invoke.join(', ')}`] : []),
      ...wrap(
        internal.map((e) => `↻ ${e}`),
        Math.max(path === '' ? ROOT_NOTE_WIDTH : NOTE_WIDTH, keyWidth),
        measure,
      ),
    ];
    const noteWidth = Math.max(0, ...notes.map((l) => measure(l, FONT_NOTE)));
    const width = Math.ceil(Math.max(keyWidth, noteWidth) + 2 * PAD_X);
    const head = HEAD + notes.length * LINE;
    states.set(id, { path, def: d, type, notes, region, root: path === '' });
    const children = d.states || [];
    if (!children.length)
      return { id, width: Math.max(width, 64), height: head + (notes.length ? 6 : 2) };
    const kids = children.map((c) =>
      node(c, path ? `${path}.${c.key}` : c.key, type === 'parallel'),
    );
    const initial =
      type !== 'parallel' &&
      d.initial !== undefined &&
      g.ids.get(path ? `${path}.${d.initial}` : d.initial);
    if (handle) {
      states.set(handle, { handle: true, path });
      kids.unshift({ id: handle, width: HANDLE, height: HANDLE });
    }
    if (initial) {
      const iid = `i${id}`;
      states.set(iid, { init: true, path });
      kids.unshift({ id: iid, width: INIT, height: INIT });
      g.edges.push({ id: `${iid}e`, sources: [iid], targets: [initial] });
    }
    return {
      id,
      children: kids,
      layoutOptions: {
        ...LAYERED,
        'elk.padding': `[top=${head + 8},left=${PAD_X},bottom=${PAD_X},right=${PAD_X}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${width}, ${head + 20})`,
      },
    };
  };
  const root = node(def, '', false);
  const graph = {
    id: 'graph',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      ...LAYERED,
      'elk.padding': '[top=4,left=4,bottom=4,right=4]',
    },
    children: [root],
    edges: g.edges,
  };
  return { graph, states, edges: g.info };
}
