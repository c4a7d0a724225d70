// The mission list: /missions.json (the daemon's state dir, or this run's one mission), newest
// first, filtered by status and by text in the name or id, a page at a time. Picking a mission
// shows its tree alone and its history.
import { h, fill, oneAtATime, RowCache, setChildren } from './dom.js';

const PAGE = 25;
const STATE_WORDS = {
  running: 'running',
  awaiting_approval: 'waiting at a gate',
  succeeded: 'succeeded',
  failed: 'failed',
  stopped: 'stopped',
  suspended: 'suspended',
  recovering: 'recovering',
};

export const stateWords = (s) => STATE_WORDS[s] || String(s);

/** A mission's state as a chip, in words: the list's rows, the tree's mission node, the detail. */
export const stateChip = (state, testid) =>
  h('span', { class: `chip ms-${state}`, 'data-testid': testid }, stateWords(state));

export class MissionList {
  constructor(els, fetchJson, onPick) {
    this.els = els;
    this.fetchJson = fetchJson;
    this.onPick = onPick;
    this.offset = 0;
    this.page = { total: 0, offset: 0, missions: [] };
    this.selected = null;
    this.rows = new RowCache();
    els.status.addEventListener('change', () => this.restart());
    els.text.addEventListener('input', () => this.restart());
    els.prev.addEventListener('click', () => this.go(this.offset - PAGE));
    els.next.addEventListener('click', () => this.go(this.offset + PAGE));
    els.list.addEventListener('click', (e) => {
      const row = e.target.closest('[data-mission]');
      if (row) this.onPick(row.dataset.mission === this.selected ? null : row.dataset.mission);
    });
  }

  restart() {
    this.offset = 0;
    this.refresh();
  }

  go(offset) {
    if (offset < 0 || offset >= Math.max(this.page.total, 1)) return;
    this.offset = offset;
    this.refresh();
  }

  /** Fetches the page again (a mission started or ended); one request at a time. */
  refresh = oneAtATime(async () => {
    try {
      const q = new URLSearchParams({ offset: String(this.offset), limit: String(PAGE) });
      if (this.els.status.value) q.set('status', this.els.status.value);
      if (this.els.text.value.trim()) q.set('q', this.els.text.value.trim());
      const page = await this.fetchJson(`missions.json?${q}`);
      if (page && Array.isArray(page.missions)) {
        this.page = page;
        this.render();
      }
    } catch (err) {
      this.els.list.replaceChildren(h('p', { class: 'muted error' }, String(err.message || err)));
    }
  });

  select(id) {
    this.selected = id;
    this.render();
  }

  /** The row of the selected mission, when it is on this page. */
  selectedRow() {
    return this.page.missions.find((m) => m.id === this.selected);
  }

  render() {
    const { total, offset, missions } = this.page;
    this.els.count.textContent = `${total}`;
    this.els.pageInfo.textContent = total
      ? `${offset + 1}–${offset + missions.length} of ${total}`
      : '';
    this.els.prev.disabled = offset <= 0;
    this.els.next.disabled = offset + missions.length >= total;
    if (!missions.length) {
      this.els.list.replaceChildren(
        h('p', { class: 'muted' }, total ? 'no missions on this page' : 'no missions match'),
      );
      return;
    }
    const out = missions.map((m) => {
      const sig = JSON.stringify([m, m.id === this.selected]);
      return this.rows.get(m.id, sig, (el) =>
        fill(
          el,
          {
            class: `mission ms-${m.state}${m.id === this.selected ? ' selected' : ''}`,
            'data-testid': 'mission',
            'data-mission': m.id,
            'data-state': m.state,
            role: 'option',
            title: m.id,
          },
          stateChip(m.state),
          h('span', { class: 'mname' }, m.name),
          h('span', { class: 'mid' }, m.id),
          h('span', { class: 'mstage' }, m.stage ? `at ${m.stage}` : ''),
          h('span', { class: 'mwhen' }, (m.submittedAt || '').replace('T', ' ').slice(5, 19)),
        ),
      );
    });
    setChildren(this.els.list, out);
    this.rows.sweep();
  }
}
