// A statechart as a diagram: ELK lays the definition out once (chartGraph.js builds its graph,
// chartSvg.js draws the result as SVG), and every later call for the same definition only moves
// the lit states, so a live actor costs a few class toggles per update and nothing flickers.
// Without ELK, or when its layout fails, the pane says so and shows the nested-box outline.
import { drawBoxes } from './chartBoxes.js';
import { activeLeaves, activePaths, buildGraph } from './chartGraph.js';
import { drawChart } from './chartSvg.js';
import { h } from './dom.js';

/** Laid-out definitions by the caller's key; by the def object itself when no key is given. */
const byKey = new Map();
const byDef = new WeakMap();
const MAX_KEYS = 64;
const MIN_SCALE = 0.65;
/** What each pane was last asked to show: a layout that finishes late draws this, not its own. */
const wanted = new WeakMap();

let elk;
let ctx;
const widths = new Map();

/** Text width in px for a canvas font, estimated from its length when there is no canvas. */
function measure(text, font) {
  const k = `${font}\n${text}`;
  let w = widths.get(k);
  if (w === undefined) {
    try {
      ctx ??= document.createElement('canvas').getContext('2d');
    } catch {
      ctx = null;
    }
    if (ctx) {
      ctx.font = font;
      w = Math.ceil(ctx.measureText(text).width);
    } else w = Math.ceil(text.length * (font.includes('12px') ? 7.3 : 6.3));
    if (widths.size > 5000) widths.clear();
    widths.set(k, w);
  }
  return w;
}

const message = (err) => (err instanceof Error ? err.message : String(err));

function layout(entry) {
  const ELK = globalThis.ELK;
  if (typeof ELK !== 'function') {
    entry.state = 'failed';
    entry.error = 'the layout library (ELK) is not loaded';
    entry.noElk = true;
    return;
  }
  entry.promise = Promise.resolve()
    .then(() => {
      elk ??= new ELK();
      const model = buildGraph(entry.def, measure);
      return elk.layout(model.graph).then((laid) => ({ model, laid }));
    })
    .then(
      ({ model, laid }) => {
        entry.view = makeView(drawChart(model, laid));
        entry.state = 'ready';
      },
      (err) => {
        entry.state = 'failed';
        entry.error = `layout failed: ${message(err)}`;
      },
    );
}

/**
 * How big the diagram is drawn: `auto` fits the pane but not below MIN_SCALE (the pane scrolls
 * then), `fit` fits it whatever the scale, a number is a scale the person picked with − and +.
 */
function applyZoom(view) {
  const { svg, width, zoom } = view;
  const fixed = typeof zoom === 'number';
  svg.style.width = fixed ? `${Math.round(width * zoom)}px` : '100%';
  svg.style.maxWidth = fixed ? 'none' : `${width}px`;
  svg.style.minWidth = zoom === 'auto' ? `${Math.round(width * MIN_SCALE)}px` : '0';
}

function zoomBy(view, factor) {
  const shown = view.svg.getBoundingClientRect().width / view.width || 1;
  view.zoom = Math.min(3, Math.max(0.2, shown * factor));
  applyZoom(view);
}

function makeView({ svg, groups, edges, markers, width }) {
  const caption = h('span', { class: 'ended', hidden: true });
  const view = { svg, groups, edges, markers, width, caption, zoom: 'auto', sig: undefined };
  const button = (label, title, testid, onclick) =>
    h('button', { type: 'button', title, 'data-testid': testid, onclick }, label);
  const bar = h(
    'div',
    { class: 'chart-bar' },
    caption,
    h(
      'span',
      { class: 'chart-zoom' },
      button('−', 'smaller', 'chart-zoom-out', () => zoomBy(view, 1 / 1.25)),
      button('fit', 'fit the pane', 'chart-fit', () => {
        view.zoom = 'fit';
        applyZoom(view);
      }),
      button('+', 'larger', 'chart-zoom-in', () => zoomBy(view, 1.25)),
    ),
  );
  view.wrap = h(
    'div',
    { class: 'chart', 'data-testid': 'chart' },
    bar,
    h('div', { class: 'chart-scroll' }, svg),
  );
  applyZoom(view);
  return view;
}

function entryFor(def, key) {
  if (typeof key !== 'string') {
    let entry = byDef.get(def);
    if (!entry || (entry.noElk && typeof globalThis.ELK === 'function')) {
      entry = { def, state: 'pending' };
      byDef.set(def, entry);
      layout(entry);
    }
    return entry;
  }
  let entry = byKey.get(key);
  // A snapshot brings new objects for the same definitions: the layout stands while the JSON does.
  if (entry && entry.def !== def) {
    if (JSON.stringify(entry.def) === JSON.stringify(def)) entry.def = def;
    else entry = undefined;
  }
  // ELK missing is not final: it is tried again once it has loaded.
  if (entry?.noElk && typeof globalThis.ELK === 'function') entry = undefined;
  if (!entry) {
    entry = { def, state: 'pending' };
    byKey.delete(key);
    byKey.set(key, entry);
    if (byKey.size > MAX_KEYS) byKey.delete(byKey.keys().next().value);
    layout(entry);
  }
  return entry;
}

/** Lights the active path and leaves of `value`, and the transitions out of the active states. */
function light(view, value, status) {
  const sig = JSON.stringify([value ?? null, status ?? null]);
  if (view.sig === sig) return;
  view.sig = sig;
  const active = activePaths(value);
  const leaves = activeLeaves(active);
  for (const [path, g] of view.groups) {
    g.classList.toggle('on-path', active.has(path));
    g.classList.toggle('active', leaves.has(path));
    if (leaves.has(path)) g.setAttribute('data-testid', 'state-active');
    else g.removeAttribute('data-testid');
  }
  const ended = status !== undefined && status !== 'active';
  for (const e of view.edges) {
    const live = !ended && active.has(e.getAttribute('data-from'));
    e.classList.toggle('live', live);
    e.parentNode.classList.toggle('live', live);
    const end = e.hasAttribute('marker-start') ? 'marker-start' : 'marker-end';
    e.setAttribute(end, `url(#${live ? view.markers.live : view.markers.edge})`);
  }
  view.caption.hidden = !ended;
  view.caption.textContent = ended ? `ended: ${status}` : '';
  view.wrap.classList.toggle('is-ended', ended);
}

function fallback(el, want, reason) {
  const { def, value, status } = want;
  try {
    const ended = status !== undefined && status !== 'active';
    el.replaceChildren(
      h(
        'p',
        { class: 'muted chart-fallback' },
        `no diagram (${reason}); the states as an outline:`,
      ),
      ...(ended ? [h('p', { class: 'ended' }, `ended: ${status}`)] : []),
      drawBoxes(def, value),
    );
  } catch (err) {
    el.replaceChildren(h('p', { class: 'muted' }, `cannot draw this statechart: ${message(err)}`));
  }
}

/** Draws into `el` what it was last asked for, as far as the layout has got. */
function show(el) {
  const want = wanted.get(el);
  if (!want) return;
  const { entry } = want;
  try {
    if (entry.state === 'ready') {
      if (el.childNodes.length !== 1 || el.firstChild !== entry.view.wrap) {
        entry.view.sig = undefined;
        el.replaceChildren(entry.view.wrap);
      }
      light(entry.view, want.value, want.status);
    } else if (entry.state === 'failed') fallback(el, want, entry.error);
    else {
      if (!el.querySelector(':scope > .chart-pending'))
        el.replaceChildren(h('p', { class: 'muted chart-pending' }, 'laying out the statechart…'));
      entry.waiting ??= new Set();
      if (!entry.waiting.has(el)) {
        entry.waiting.add(el);
        entry.promise.then(() => {
          entry.waiting.delete(el);
          show(el);
        });
      }
    }
  } catch (err) {
    fallback(el, want, message(err));
  }
}

/**
 * Draws `def` (a StateDef, or undefined) into `el` with the active states of `value` lit.
 * `opts.key` names the definition for the layout cache; `opts.status` other than 'active' says
 * the actor ended. Never throws: without a diagram the pane says why and shows an outline.
 */
export function renderChart(el, def, value, opts = {}) {
  try {
    if (!def) {
      wanted.delete(el);
      el.replaceChildren(h('p', { class: 'muted' }, 'no statechart for this actor'));
      return;
    }
    const entry = entryFor(def, opts?.key);
    wanted.set(el, { entry, def, value, status: opts?.status });
    show(el);
  } catch (err) {
    try {
      fallback(el, { def, value, status: opts?.status }, message(err));
    } catch {
      // Nothing left to draw with; the pane keeps what it had.
    }
  }
}
