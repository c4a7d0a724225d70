// The fallback drawing, when ELK is missing or its layout fails: a statechart as nested boxes.
// Compound states contain their children, parallel regions sit side by side, and each state lists
// its transitions as `event → target`. Active states are highlighted.
import { activePaths } from './chartGraph.js';
import { h } from './dom.js';

const shortTarget = (t, machine) =>
  t
    .replace(new RegExp(`^#${machine.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`), '')
    .replace(/^\./, '');

function drawState(def, path, active, machine, initial) {
  const on = active.has(path);
  const leaf = on && ![...active].some((p) => p.startsWith(`${path}.`));
  const type = def.type || (def.states?.length ? 'compound' : 'atomic');
  const box = h(
    'div',
    {
      class: `state ${type}${leaf ? ' active' : on ? ' on-path' : ''}`,
      'data-state': def.key,
      'data-testid': leaf ? 'state-active' : undefined,
    },
    h(
      'div',
      { class: 'state-key' },
      initial ? h('span', { class: 'initial', title: 'initial' }, '●') : '',
      def.key,
      type === 'final' ? h('span', { class: 'tag' }, 'final') : '',
      type === 'parallel' ? h('span', { class: 'tag' }, 'parallel') : '',
    ),
  );
  if (def.on?.length) {
    box.append(
      h(
        'ul',
        { class: 'transitions' },
        ...def.on.map((t) =>
          h(
            'li',
            {},
            h('span', { class: 'event' }, t.event),
            ' → ',
            t.targets.length ? t.targets.map((x) => shortTarget(x, machine)).join(', ') : '(self)',
          ),
        ),
      ),
    );
  }
  if (def.states?.length) {
    box.append(
      h(
        'div',
        { class: `substates${type === 'parallel' ? ' regions' : ''}` },
        ...def.states.map((s) =>
          drawState(
            s,
            `${path}.${s.key}`,
            active,
            machine,
            type !== 'parallel' && s.key === def.initial,
          ),
        ),
      ),
    );
  }
  return box;
}

/** `def` with the active states of `value`, as nested boxes. */
export function drawBoxes(def, value) {
  const active = activePaths(value);
  const root = h('div', { class: 'state root' }, h('div', { class: 'state-key' }, def.key));
  root.append(
    h(
      'div',
      { class: `substates${def.type === 'parallel' ? ' regions' : ''}` },
      ...(def.states || []).map((s) =>
        drawState(s, s.key, active, def.key, def.type !== 'parallel' && s.key === def.initial),
      ),
    ),
  );
  return root;
}
