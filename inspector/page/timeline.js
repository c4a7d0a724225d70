// A mission's history: /timeline.json?mission=ID, one line per event in words (what `maestro
// replay` says), grouped by stage in the order they ran, each line opening to its raw record.
// Pages are fetched until the end, then only what is new.
import { h, clock } from './dom.js';

const LIMIT = 1000;

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
    this.groups = new Map();
    this.loading = false;
    this.again = false;
    this.generation = 0;
  }

  show(mission) {
    if (mission === this.mission) return this.refresh();
    this.mission = mission;
    this.after = 0;
    this.entries = [];
    this.groups = new Map();
    this.generation++;
    this.el.replaceChildren();
    this.onChange();
    this.titleEl.textContent = mission
      ? `history of ${mission}`
      : 'pick a mission to read its history';
    if (mission) this.refresh();
  }

  async refresh() {
    if (!this.mission) return;
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
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
    } finally {
      this.loading = false;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    }
  }

  /** One entry, under its stage's group (a new group when the stage changes). */
  add(e) {
    this.entries.push(e);
    const key = e.stage || '';
    let group = this.groups.get(key);
    if (!group) {
      const list = h('div', { class: 'tl-lines' });
      const box = h(
        'details',
        { class: 'tl-group', open: true, 'data-testid': 'history-group', 'data-stage': key },
        h('summary', {}, key ? `stage ${key}` : 'mission'),
        list,
      );
      group = { box, list, count: 0 };
      this.groups.set(key, group);
      this.el.append(box);
    }
    group.count++;
    const raw = h('pre', { class: 'tl-raw', hidden: true }, JSON.stringify(e.raw, null, 2));
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
            raw.hidden = !raw.hidden;
          },
        },
        '{ }',
      ),
      raw,
    );
    group.list.append(line);
  }
}
