// The inspector page: keeps a mirror of the hub's graph from the ws (a snapshot, then deltas in
// seq order, a resync on a gap, a reconnect with backoff) and redraws at most once a frame.
import { h, fill, fmt, clock, virtualList, RowCache } from './dom.js';
import { TreeView, tail } from './tree.js';
import { renderChart } from './chart.js';
import { MissionList } from './missions.js';
import { Timeline } from './timeline.js';
import { approvalCards, nodeFacts, voteTables } from './panels.js';
import { renderStageViews } from './stageViews.js';

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
  /** The node whose detail and chart are shown (`#node=<path>` opens the page on one). */
  selected: new URLSearchParams(location.hash.slice(1)).get('node'),
  /** The mission picked in the list: the tree shows it alone. */
  mission: new URLSearchParams(location.hash.slice(1)).get('mission'),
};
const dirty = { tree: true, events: true, detail: true, approvals: true, votes: true };

/** A JSON read of the server's, with the token when the page has one; an error says the server's reason. */
async function fetchJson(path) {
  const res = await fetch(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `${path}: http ${res.status}`);
  return body;
}

const missions = new MissionList(
  {
    list: $('missions'),
    status: $('m-status'),
    text: $('m-text'),
    prev: $('m-prev'),
    next: $('m-next'),
    count: $('missions-count'),
    pageInfo: $('m-page'),
  },
  fetchJson,
  (id) => pickMission(id),
);
const timeline = new Timeline($('history'), $('history-title'), fetchJson, () => {
  if (!$('stages-view').hidden) renderStageViews($('stage-views'), timeline.entries);
});

function pickMission(id) {
  S.mission = id;
  // A node of that mission stays selected (`#mission=…&node=…`); else the mission's own.
  S.selected = !id ? null : S.selected?.startsWith(`mission/${id}/`) ? S.selected : `mission/${id}`;
  const params = new URLSearchParams(location.hash.slice(1));
  if (id) params.set('mission', id);
  else params.delete('mission');
  history.replaceState(null, '', `#${params}`);
  missions.select(id);
  timeline.show(id);
  dirty.tree = dirty.detail = dirty.votes = dirty.approvals = dirty.events = true;
  schedule();
}

/** Whether a node belongs to the picked mission (all do when none is picked). */
function inMission(id) {
  if (!S.mission) return true;
  const root = `mission/${S.mission}`;
  const workers = `workers/${S.mission}`;
  return id === root || id.startsWith(`${root}/`) || id === workers || id.startsWith(`${workers}/`);
}

/** At most one refetch of the list and of the history a second, when a mission's events came. */
let refetchTimer = 0;
let listStale = false;
let historyStale = false;
function refetchSoon(events) {
  for (const e of events) {
    if (e.type.startsWith('mission.') || e.type.startsWith('approval.')) listStale = true;
    const m = e.data?.mission;
    if (S.mission && (m === S.mission || (e.path && inMission(e.path)))) historyStale = true;
  }
  if (refetchTimer || (!listStale && !historyStale)) return;
  refetchTimer = setTimeout(() => {
    refetchTimer = 0;
    if (listStale) missions.refresh();
    // The history is read from the log: only while it (or the stages drawn from it) is on screen.
    if (historyStale && $('live-view').hidden) timeline.refresh();
    listStale = false;
    historyStale = historyStale && !$('live-view').hidden;
  }, 1000);
}
const VIEWS = ['history-view', 'stages-view', 'live-view'];
for (const [id, view] of [
  ['tab-history', 'history-view'],
  ['tab-stages', 'stages-view'],
  ['tab-live', 'live-view'],
]) {
  $(id).addEventListener('click', () => {
    for (const t of document.querySelectorAll('.tab')) t.classList.toggle('on', t.id === id);
    for (const v of VIEWS) $(v).hidden = v !== view;
    if (view === 'stages-view') renderStageViews($('stage-views'), timeline.entries);
    if (view !== 'live-view' && historyStale) {
      historyStale = false;
      timeline.refresh();
    }
    dirty.events = true;
    schedule();
  });
}
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
    missions.refresh();
    if (S.mission) timeline.show(S.mission);
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
      refetchSoon(msg.events);
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
  const root = S.mission && S.nodes.get(`mission/${S.mission}`);
  $('trace').textContent = root?.traceId ? `trace ${root.traceId}` : '';
  $('dropped').textContent = `${fmt(S.dropped)} dropped`;
  $('mode').textContent = S.writable ? 'writable' : 'read-only';
  $('mode').className = S.writable ? 'writable' : '';
  if (dirty.tree) {
    const shown = S.mission ? new Map([...S.nodes].filter(([id]) => inMission(id))) : S.nodes;
    $('tree-scope').textContent = S.mission ? `of ${S.mission}` : 'of every mission';
    tree.render(shown, S.selected);
    if (S.mission && shown.size === 0)
      $('tree').replaceChildren(
        h(
          'p',
          { class: 'muted', 'data-testid': 'tree-absent' },
          'not in the live tree: it ended before this inspector started, or was let go; its history is on the right',
        ),
      );
  }
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
  if (sel && inMission(sel.id)) return sel;
  if (S.mission && S.nodes.get(`mission/${S.mission}`)) return S.nodes.get(`mission/${S.mission}`);
  for (const n of S.nodes.values())
    if (n.definition && S.defs[n.definition] && inMission(n.id)) return n;
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
  $('detail').replaceChildren(...nodeFacts(n, S.writable, send, tail));
  renderChart($('statechart'), n?.definition ? S.defs[n.definition] : undefined, n?.value, {
    key: n?.definition,
    status: n?.status,
  });
}

function renderApprovals() {
  const shown = S.approvals.filter((a) => !S.mission || a.id.startsWith(`${S.mission}/`));
  $('approvals').replaceChildren(...approvalCards(shown, S.writable, send));
}

function renderVotes() {
  const votes = [...S.votes.values()]
    .filter((v) => inMission(v.path))
    .slice(-20)
    .reverse();
  $('votes').replaceChildren(...voteTables(votes));
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
    if (S.mission && e.data?.mission !== S.mission && !(e.path && inMission(e.path))) continue;
    if (
      text &&
      !`${e.type} ${e.path || ''} ${e.text || ''} ${JSON.stringify(e.data)}`
        .toLowerCase()
        .includes(text)
    )
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
        e.text !== undefined
          ? h('span', { class: 'text', title: JSON.stringify(e.data) }, e.text)
          : h('span', { class: 'data', title: JSON.stringify(e.data) }, JSON.stringify(e.data)),
      ),
    );
  });
  eventRows.sweep();
}

// The layout library loads on its own (async): once it is in, the chart shown so far as boxes is drawn.
$('elk')?.addEventListener('load', () => {
  detailSig = '';
  dirty.detail = true;
  schedule();
});
if (S.mission) pickMission(S.mission);
// A link followed inside the open page (`#mission=…&node=…`) picks what it names.
addEventListener('hashchange', () => {
  const params = new URLSearchParams(location.hash.slice(1));
  const node = params.get('node');
  if (node) S.selected = node;
  const mission = params.get('mission');
  if (mission !== S.mission) pickMission(mission);
  else {
    dirty.tree = dirty.detail = true;
    schedule();
  }
});
connect();
// The list also follows what no event of this page's stream says (another daemon client's submit).
setInterval(() => missions.refresh(), 5000);
