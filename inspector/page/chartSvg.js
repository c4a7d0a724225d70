// A laid-out chart (chartGraph.js's model with ELK's coordinates) as inline SVG. Every string
// goes in through textContent or setAttribute: state keys and event names are not trusted.
import { HEAD, LINE } from './chartGraph.js';

const NS = 'http://www.w3.org/2000/svg';
let svgCount = 0;

/** s('rect', {x: 1}, child...): an SVG element. */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {}))
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

const text = (attrs, content) => {
  const t = s('text', attrs);
  t.textContent = content;
  return t;
};

/** An orthogonal route with rounded corners. */
function routeOf(section) {
  const pts = [section.startPoint, ...(section.bendPoints || []), section.endPoint];
  let d = `M${pts[0].x},${pts[0].y}`;
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i];
    const next = pts[i + 1];
    if (!next) {
      d += ` L${p.x},${p.y}`;
      break;
    }
    const prev = pts[i - 1];
    const r = Math.min(
      6,
      Math.hypot(p.x - prev.x, p.y - prev.y) / 2,
      Math.hypot(next.x - p.x, next.y - p.y) / 2,
    );
    const towards = (a, b) => {
      const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      return { x: a.x + ((b.x - a.x) / len) * r, y: a.y + ((b.y - a.y) / len) * r };
    };
    const a = towards(p, prev);
    const b = towards(p, next);
    d += ` L${a.x},${a.y} Q${p.x},${p.y} ${b.x},${b.y}`;
  }
  return d;
}

function drawState(model, laid, groups) {
  const st = model.states.get(laid.id);
  if (st.handle) {
    const ring = s('circle', {
      class: 'handle',
      cx: laid.x + laid.width / 2,
      cy: laid.y + laid.height / 2,
      r: laid.width / 2 - 1,
    });
    const title = s('title');
    title.textContent = `from any state of ${st.path || 'the machine'}`;
    ring.append(title);
    return ring;
  }
  if (st.init) {
    return s('circle', {
      class: 'init',
      cx: laid.x + laid.width / 2,
      cy: laid.y + laid.height / 2,
      r: laid.width / 2,
    });
  }
  const classes = ['st', st.type];
  if (st.region) classes.push('region');
  if (st.root) classes.push('root');
  const g = s('g', { class: classes.join(' '), 'data-state': st.path });
  const { x, y, width: w, height: h } = laid;
  g.append(s('rect', { class: 'box', x, y, width: w, height: h, rx: 6 }));
  if (st.type === 'final')
    g.append(s('rect', { class: 'inner', x: x + 3, y: y + 3, width: w - 6, height: h - 6, rx: 4 }));
  const title = s('title');
  title.textContent = st.root ? `machine ${st.def.key}` : st.path;
  g.append(title, text({ class: 'key', x: x + 10, y: y + 17 }, st.def.key));
  if (st.type === 'parallel')
    g.append(text({ class: 'tag', x: x + w - 8, y: y + 17, 'text-anchor': 'end' }, st.type));
  st.notes.forEach((line, i) => {
    g.append(text({ class: 'note', x: x + 10, y: y + HEAD + 8 + i * LINE }, line));
  });
  if (laid.children?.length || st.notes.length)
    g.append(s('line', { class: 'sep', x1: x, x2: x + w, y1: y + HEAD - 2, y2: y + HEAD - 2 }));
  for (const c of laid.children || []) g.append(drawState(model, c, groups));
  groups.set(st.path, g);
  return g;
}

function drawEdge(model, e, markers) {
  if (!e.sections?.length) return undefined;
  const d = e.sections.map(routeOf).join(' ');
  const info = model.edges.get(e.id);
  if (!info) return s('path', { class: 'init-edge', d, 'marker-end': `url(#${markers.init})` });
  // One path per event, all on the same route: each names its own event.
  const end = info.reversed ? 'marker-start' : 'marker-end';
  const g = s('g', { class: 'tr' });
  for (const { event } of info.items) {
    const path = s('path', {
      class: 'edge',
      d,
      'data-from': info.from,
      'data-to': info.to,
      'data-event': event,
      [end]: `url(#${markers.edge})`,
    });
    const title = s('title');
    title.textContent = `${event}: ${info.from || '(machine)'} → ${info.to || '(machine)'}`;
    path.append(title);
    g.append(path);
  }
  const label = e.labels?.[0];
  if (label && label.x !== undefined) {
    g.append(
      s('rect', {
        class: 'label-bg',
        x: label.x,
        y: label.y,
        width: label.width,
        height: label.height,
        rx: 3,
      }),
    );
    info.items.forEach((item, i) => {
      const at = { x: label.x + label.width / 2, y: label.y + (i + 1) * LINE - 3.5 };
      g.append(text({ class: 'label', ...at, 'text-anchor': 'middle' }, item.label));
    });
  }
  return g;
}

function marker(id, cls) {
  return s(
    'marker',
    {
      id,
      class: cls,
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      markerUnits: 'userSpaceOnUse',
      orient: 'auto-start-reverse',
    },
    s('path', { d: 'M0,0 L10,5 L0,10 z' }),
  );
}

/**
 * The SVG for a laid-out graph: `groups` maps each state's dotted path to its `<g class="st">`,
 * `edges` lists the transitions' `<path class="edge">`, for lighting later without a redraw.
 */
export function drawChart(model, laid) {
  const n = ++svgCount;
  const markers = {
    edge: `chart-arrow-${n}`,
    live: `chart-arrow-live-${n}`,
    init: `chart-arrow-init-${n}`,
  };
  const width = Math.ceil(laid.width);
  const height = Math.ceil(laid.height);
  const svg = s('svg', {
    class: 'chart-svg',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `statechart of ${model.states.get(laid.children?.[0]?.id)?.def?.key}`,
    'data-testid': 'chart-svg',
  });
  const groups = new Map();
  const nodes = s('g', { class: 'states' });
  for (const c of laid.children || []) nodes.append(drawState(model, c, groups));
  const edgeLayer = s('g', { class: 'edges' });
  for (const e of laid.edges || []) {
    const el = drawEdge(model, e, markers);
    if (el) edgeLayer.append(el);
  }
  svg.append(
    s(
      'defs',
      {},
      marker(markers.edge, 'arrow'),
      marker(markers.live, 'arrow live'),
      marker(markers.init, 'arrow init'),
    ),
    nodes,
    edgeLayer,
  );
  const edges = [...edgeLayer.querySelectorAll('path.edge')];
  return { svg, groups, edges, markers, width };
}
