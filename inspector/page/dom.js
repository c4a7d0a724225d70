// Small DOM helpers shared by the page's modules. Text always goes in as text, never as HTML.

/** h('div', {class: 'x', 'data-testid': 'y', onclick}, child, 'text', ...) */
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, ...children);
}

/** Sets `el`'s attributes and replaces its children; `on*` attributes become listeners. */
export function fill(el, attrs, ...children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === undefined || v === null || v === false) el.removeAttribute(k);
    else if (k === 'style') el.style.cssText = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.replaceChildren(...children.filter((c) => c !== undefined && c !== null && c !== false));
  return el;
}

const numbers = new Intl.NumberFormat('en-US');
export const fmt = (n) => numbers.format(n);
export const clock = (at) => new Date(at).toISOString().slice(11, 23);

/**
 * Rows kept by key and refilled in place only when their signature changes: a busy mission must
 * not keep replacing the element under the mouse.
 */
export class RowCache {
  constructor() {
    this.rows = new Map();
    this.used = new Map();
  }

  /** The row for `key`; `draw(el)` fills it when it is new or `sig` changed. */
  get(key, sig, draw) {
    const row = this.rows.get(key) ||
      this.used.get(key) || { sig: undefined, el: document.createElement('div') };
    if (row.sig !== sig) {
      draw(row.el);
      row.sig = sig;
    }
    this.used.set(key, row);
    return row.el;
  }

  /** Forgets the rows not asked for since the last sweep. */
  sweep() {
    this.rows = this.used;
    this.used = new Map();
  }
}

/** Sets `parent`'s children to `els`, touching the DOM only if they differ. */
export function setChildren(parent, els) {
  const now = parent.children;
  if (now.length === els.length && els.every((el, i) => now[i] === el)) return;
  parent.replaceChildren(...els);
}

/**
 * A virtualized list inside `box` (a fixed-height, scrolling element): only the rows in view,
 * plus a few either side, exist in the DOM, so ten thousand rows cost what thirty do.
 */
export function virtualList(box, count, rowHeight, renderRow) {
  let spacer = box.firstElementChild;
  if (!spacer?.classList.contains('vspacer')) {
    spacer = h('div', { class: 'vspacer' });
    box.replaceChildren(spacer);
  }
  spacer.style.height = `${count * rowHeight}px`;
  const draw = () => {
    const top = box.scrollTop;
    const height = box.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / rowHeight) - 5);
    const last = Math.min(count, Math.ceil((top + height) / rowHeight) + 5);
    const rows = [];
    for (let i = first; i < last; i++) {
      const row = renderRow(i);
      Object.assign(row.style, {
        position: 'absolute',
        left: '0',
        right: '0',
        top: `${i * rowHeight}px`,
      });
      rows.push(row);
    }
    setChildren(spacer, rows);
  };
  box.onscroll = draw;
  draw();
}

/**
 * `fn` one call at a time: a call while one runs is not lost, it runs once more after it (a
 * fetch asked for again while the last is in flight reads what came since).
 */
export function oneAtATime(fn) {
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await fn();
    } finally {
      running = false;
      if (again) {
        again = false;
        run();
      }
    }
  };
  return run;
}
