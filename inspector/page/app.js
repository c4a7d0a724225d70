// The inspector page: keeps a mirror of the hub's graph from the ws (a snapshot, then deltas in
// seq order, a resync on a gap, a reconnect with backoff) and redraws at most once a frame.
import { h, fill, fmt, clock, virtualList, RowCache } from './dom.js';
import { TreeView, tail } from './tree.js';
import { renderChart } from './chart.js';

const KEEP_EVENTS = 5000;
const EVENT_ROW = 22;
const $ = (id) => document.getElementById(id);
const token =
  new URLSearchParams(location.search).get('token') ||
  new URLSearchParams(location.hash.slice(1)).get('token');
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;

const S = {
  seq: -1,
  nodes: new Map(),
  events: [],
  votes: new Map(),
  approvals: [],
  defs: {},
  dropped: 0,
  writable: false,
  selected: null,
};
const dirty = { tree: true, events: true, detail: true, approvals: true, votes: true };
let ws = null;
let backoff = 500;
let lastResync = 0;
let frame = 0;

const tree = new TreeView($('tree'), (path) => {
  S.selected = path;
  dirty.tree = dirty.detail = true;
  schedule();
});
tree.onToggle = () => {
  dirty.tree = true;
  schedule();
};
$('ev-type').addEventListener('change', () => {
  dirty.events = true;
  schedule();
});
$('ev-text').addEventListener('input', () => {
  dirty.events = true;
  schedule();
});

function connect() {
  setConn('connecting', 'connecting');
  ws = new WebSocket(wsUrl);
  ws.onopen = () => {
    backoff = 500;
    setConn('live', 'live');
  };
  ws.onmessage = (e) => {
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return;
    }
    onMessage(msg);
  };
  ws.onclose = () => {
    setConn('closed', `disconnected, retrying in ${(backoff / 1000).toFixed(1)}s`);
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN)
    ws.send(JSON.stringify(token ? { ...msg, token } : msg));
}

function onMessage(msg) {
  if (msg.type === 'snapshot') {
    S.seq = msg.seq;
    S.nodes = new Map(msg.nodes.map((n) => [n.id, n]));
    S.events = msg.events.slice(-KEEP_EVENTS);
    S.votes = new Map(msg.votes.map((v) => [v.path, v]));
    S.approvals = msg.approvals;
    S.defs = msg.definitions;
    S.dropped = msg.dropped;
    S.writable = Boolean(msg.writable);
    defsVersion++;
    for (const k of Object.keys(dirty)) dirty[k] = true;
  } else if (msg.type === 'delta') {
    if (S.seq < 0 || msg.seq <= S.seq) return;
    if (msg.seq !== S.seq + 1) {
      // A gap: ask for what we missed; deltas past the gap are dropped until it is filled.
      if (Date.now() - lastResync > 1000) {
        lastResync = Date.now();
        send({ type: 'resync', from: S.seq });
      }
      return;
    }
    S.seq = msg.seq;
    for (const id of msg.removes) S.nodes.delete(id);
    for (const n of msg.upserts) S.nodes.set(n.id, n);
    if (msg.upserts.length || msg.removes.length) dirty.tree = dirty.detail = true;
    if (msg.events.length) {
      S.events.push(...msg.events);
      if (S.events.length > KEEP_EVENTS) S.events.splice(0, S.events.length - KEEP_EVENTS);
      dirty.events = true;
    }
    for (const v of msg.votes) {
      S.votes.delete(v.path);
      S.votes.set(v.path, v);
    }
    if (msg.votes.length) dirty.votes = true;
    if (msg.approvals) {
      S.approvals = msg.approvals;
      dirty.approvals = true;
    }
    if (msg.definitions) {
      Object.assign(S.defs, msg.definitions);
      defsVersion++;
      dirty.detail = true;
    }
    S.dropped = msg.dropped;
  } else if (msg.type === 'ack') {
    toast(`${msg.action} sent${msg.id ? ` (${msg.id})` : msg.path ? ` (${msg.path})` : ''}`, false);
  } else if (msg.type === 'error') {
    toast(msg.message, true);
  }
  schedule();
}

function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  $('seq').textContent = `seq ${S.seq < 0 ? '–' : fmt(S.seq)}`;
  $('counts').textContent = `${fmt(S.nodes.size)} actors`;
  $('dropped').textContent = `${fmt(S.dropped)} dropped`;
  $('mode').textContent = S.writable ? 'writable' : 'read-only';
  $('mode').className = S.writable ? 'writable' : '';
  if (dirty.tree) tree.render(S.nodes, S.selected);
  if (dirty.detail) renderDetail();
  if (dirty.approvals) renderApprovals();
  if (dirty.votes) renderVotes();
  if (dirty.events) renderEvents();
  for (const k of Object.keys(dirty)) dirty[k] = false;
}

function setConn(cls, text) {
  $('conn').className = `conn ${cls}`;
  $('conn').textContent = text;
}

let toastTimer = 0;
function toast(text, bad) {
  $('toast').textContent = text;
  $('toast').className = bad ? 'bad' : 'good';
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    $('toast').textContent = '';
  }, 5000);
}

function shownNode() {
  const sel = S.selected && S.nodes.get(S.selected);
  if (sel) return sel;
  for (const n of S.nodes.values()) if (n.definition && S.defs[n.definition]) return n;
  return undefined;
}

let defsVersion = 0;
let detailSig = '';
function renderDetail() {
  const n = shownNode();
  // Redrawn only when what it shows changed: a busy tree must not keep replacing the Stop button.
  const sig = n ? JSON.stringify([n, S.writable, defsVersion]) : '';
  if (sig === detailSig && sig) return;
  detailSig = sig;
  $('detail-title').textContent = n ? `Statechart: ${tail(n)}` : 'Statechart';
  $('detail').replaceChildren(
    ...(n
      ? [
          h('div', { class: 'path' }, n.id),
          h(
            'div',
            { class: 'facts' },
            h('span', { class: `chip st-${n.status}` }, n.status),
            ` ${n.kind} · ${n.logic}`,
            n.restarts ? ` · ↻ ${n.restarts}` : '',
            n.budget
              ? ` · ${fmt(n.budget.tokens)} tokens · $${n.budget.costUsd.toFixed(4)} · ${fmt(n.budget.samples)} samples`
              : '',
          ),
          n.lastError
            ? h('div', { class: 'error' }, `✗ ${clock(n.lastError.at)} ${n.lastError.message}`)
            : '',
          S.writable && n.status === 'active'
            ? h(
                'button',
                { class: 'stop', onclick: () => send({ type: 'stop', path: n.id }) },
                'Stop',
              )
            : '',
        ]
      : [h('p', { class: 'muted' }, 'no actors yet')]),
  );
  renderChart($('statechart'), n?.definition ? S.defs[n.definition] : undefined, n?.value);
}

function renderApprovals() {
  if (!S.approvals.length)
    return $('approvals').replaceChildren(h('p', { class: 'muted' }, 'none pending'));
  $('approvals').replaceChildren(
    ...S.approvals.map((a) => {
      const feedback = h('input', { type: 'text', placeholder: 'feedback (for reject)' });
      return h(
        'div',
        { class: 'approval', 'data-testid': 'approval', 'data-id': a.id },
        h('div', { class: 'question' }, a.question),
        h('div', { class: 'muted' }, `${a.path} · waiting since ${clock(a.since)}`),
        S.writable
          ? h(
              'div',
              { class: 'actions' },
              h(
                'button',
                {
                  class: 'approve',
                  'data-testid': 'approve',
                  onclick: () => send({ type: 'approve', id: a.id }),
                },
                'Approve',
              ),
              feedback,
              h(
                'button',
                {
                  class: 'reject',
                  'data-testid': 'reject',
                  onclick: () =>
                    send({ type: 'reject', id: a.id, feedback: feedback.value || undefined }),
                },
                'Reject',
              ),
            )
          : h('div', { class: 'muted' }, 'read-only: open with #token=… to answer'),
      );
    }),
  );
}

function renderVotes() {
  const votes = [...S.votes.values()].slice(-20).reverse();
  if (!votes.length) return $('votes').replaceChildren(h('p', { class: 'muted' }, 'no votes'));
  $('votes').replaceChildren(
    ...votes.map((v) => {
      const tallies = Object.entries(v.tallies).sort((a, b) => b[1] - a[1]);
      const max = Math.max(1, ...tallies.map(([, c]) => c));
      return h(
        'table',
        { class: 'vote', 'data-testid': 'vote', 'data-path': v.path },
        h(
          'caption',
          {},
          `${v.path} · step ${fmt(v.step)} · k=${v.k} · ${v.samples} samples · ${v.flagged} flagged · `,
          h(
            'b',
            { class: v.outcome || 'voting' },
            v.outcome ? `${v.outcome}${v.winner !== undefined ? `: ${v.winner}` : ''}` : 'voting',
          ),
        ),
        ...tallies.map(([answer, c]) =>
          h(
            'tr',
            { class: answer === v.winner ? 'winner' : '' },
            h('td', { class: 'answer', title: answer }, answer),
            h('td', { class: 'bar' }, h('div', { style: `width:${(c / max) * 100}%` })),
            h('td', { class: 'count' }, String(c)),
          ),
        ),
      );
    }),
  );
}

const knownTypes = new Set();
const eventRows = new RowCache();
function renderEvents() {
  for (const e of S.events) {
    if (knownTypes.has(e.type)) continue;
    knownTypes.add(e.type);
    $('ev-type').append(h('option', { value: e.type }, e.type));
  }
  const type = $('ev-type').value;
  const text = $('ev-text').value.toLowerCase();
  const list = [];
  for (let i = S.events.length - 1; i >= 0; i--) {
    const e = S.events[i];
    if (type && e.type !== type) continue;
    if (text && !`${e.type} ${e.path || ''} ${JSON.stringify(e.data)}`.toLowerCase().includes(text))
      continue;
    list.push(e);
  }
  $('ev-count').textContent = `${fmt(list.length)} of ${fmt(S.events.length)}`;
  virtualList($('events'), list.length, EVENT_ROW, (i) => {
    const e = list[i];
    return eventRows.get(e.seq, '', (el) =>
      fill(
        el,
        { class: 'event', 'data-testid': 'event', 'data-type': e.type },
        h('span', { class: 'seq' }, `#${e.seq}`),
        h('span', { class: 'at' }, clock(e.at)),
        h('span', { class: 'type' }, e.type),
        h('span', { class: 'epath', title: e.path || '' }, e.path || ''),
        h('span', { class: 'data', title: JSON.stringify(e.data) }, JSON.stringify(e.data)),
      ),
    );
  });
  eventRows.sweep();
}

connect();
