// A mission's history: /timeline.json?mission=ID, one line per event in words (what `maestro
// replay` says), grouped by stage in the order they ran, each line opening to its raw record.
// Pages are fetched until the end, then only what is new.
import { h, clock, oneAtATime } from './dom.js';

const LIMIT = 1000;
/** Lines kept on the page; older ones go (the log has them all). */
const MAX_LINES = 5000;

export class Timeline {
  /** `onChange` is called once a fetch brought new entries (or a new mission was shown). */
  constructor(el, titleEl, fetchJson, onChange = () => {}) {
    this.onChange = onChange;
    this.el = el;
    this.titleEl = titleEl;
    this.fetchJson = fetchJson;
    this.mission = null;
    this.after = 0;
    this.entries = [];
    this.groups = [];
    this.dropped = 0;
    this.note = h('p', { class: 'muted', 'data-testid': 'history-dropped' });
    this.generation = 0;
  }

  show(mission) {
    if (mission === this.mission) return this.refresh();
    this.mission = mission;
    this.after = 0;
    this.entries = [];
    this.groups = [];
    this.dropped = 0;
    this.note.remove();
    this.generation++;
    this.el.replaceChildren();
    this.onChange();
    this.titleEl.textContent = mission
      ? `history of ${mission}`
      : 'pick a mission to read its history';
    if (mission) this.refresh();
  }

  /** Fetches what came since the last line, a page at a time to the end; one fetch at a time. */
  refresh = oneAtATime(async () => {
    if (!this.mission) return;
    const generation = this.generation;
    try {
      for (;;) {
        const q = new URLSearchParams({
          mission: this.mission,
          after: String(this.after),
          limit: String(LIMIT),
        });
        const page = await this.fetchJson(`timeline.json?${q}`);
        if (generation !== this.generation) return;
        if (!page || !Array.isArray(page.entries)) break;
        for (const e of page.entries) this.add(e);
        if (page.entries.length) this.after = page.entries.at(-1).seq;
        if (page.next === undefined) break;
      }
      this.titleEl.textContent = `history of ${this.mission}: ${this.entries.length} events`;
      this.onChange();
    } catch (err) {
      if (generation === this.generation)
        this.titleEl.textContent = `history of ${this.mission}: ${err.message || err}`;
    }
  });

  /**
   * One entry, at the end of the current group, or of a new one when its stage is not the
   * current group's: the groups read in the order the stages ran (the mission's own lines at the
   * start and at the end). Its raw record is built when first opened.
   */
  add(e) {
    this.entries.push(e);
    if (this.entries.length > MAX_LINES) this.dropOldest();
    const key = e.stage || '';
    let group = this.groups.at(-1);
    if (!group || group.key !== key) {
      const list = h('div', { class: 'tl-lines' });
      const box = h(
        'details',
        { class: 'tl-group', open: true, 'data-testid': 'history-group', 'data-stage': key },
        h('summary', {}, key ? `stage ${key}` : 'mission'),
        list,
      );
      group = { key, box, list };
      this.groups.push(group);
      this.el.append(box);
    }
    let raw;
    const line = h(
      'div',
      {
        class: `tl-line t-${String(e.type).replace(/[^\w-]/g, '_')}`,
        'data-testid': 'history-line',
        'data-type': e.type,
        'data-seq': e.seq,
      },
      h('span', { class: 'at' }, e.at ? clock(e.at) : ''),
      h('span', { class: 'text' }, e.text),
      h(
        'button',
        {
          class: 'raw-toggle',
          type: 'button',
          title: 'the raw record',
          'data-testid': 'raw-toggle',
          onclick: () => {
            if (!raw) {
              raw = h('pre', { class: 'tl-raw' }, JSON.stringify(e.raw, null, 2));
              line.append(raw);
            } else raw.hidden = !raw.hidden;
          },
        },
        '{ }',
      ),
    );
    group.list.append(line);
  }

  /** Past MAX_LINES the oldest line goes (the log keeps it: `maestro inspect timeline`). */
  dropOldest() {
    this.entries.shift();
    this.dropped++;
    const first = this.groups[0];
    first?.list.firstChild?.remove();
    if (first && !first.list.firstChild) {
      first.box.remove();
      this.groups.shift();
    }
    this.note.textContent = `${this.dropped} older lines not shown here: maestro inspect timeline ${this.mission}`;
    if (!this.note.isConnected) this.el.prepend(this.note);
  }
}
