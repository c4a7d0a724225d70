// The detail pane's panels: the selected node's facts, the approvals waiting, MAKER progress and
// votes. Everything is text (h() never parses HTML): an agent's answer is shown, not run.
import { h, fmt, clock } from './dom.js';
import { stateChip } from './missions.js';

const money = (n) => `$${Number(n || 0).toFixed(4)}`;

/** `used / limit` for each amount that has a limit or is used. */
export function budgetText(b) {
  if (!b) return '';
  const part = (name, used, limit, show) =>
    limit !== undefined
      ? `${show(used)} / ${show(limit)} ${name}`
      : used
        ? `${show(used)} ${name}`
        : '';
  return [
    part(
      b.used.tokens === 1 && b.limit?.tokens === undefined ? 'token' : 'tokens',
      b.used.tokens,
      b.limit?.tokens,
      fmt,
    ),
    part(
      b.used.samples === 1 && b.limit?.samples === undefined ? 'sample' : 'samples',
      b.used.samples,
      b.limit?.samples,
      fmt,
    ),
    part('', b.used.costUsd, b.limit?.costUsd, money).trim(),
    b.limit?.wallTimeMs !== undefined ? `wall time limit ${fmt(b.limit.wallTimeMs)} ms` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The selected node's facts, and a Stop button when the page may write. */
export function nodeFacts(n, writable, send, tail) {
  if (!n) return [h('p', { class: 'muted' }, 'no live actor to show: pick one in the tree')];
  const sup = n.supervisor;
  return [
    h('div', { class: 'path' }, n.id),
    h(
      'div',
      { class: 'facts' },
      h('span', { class: `chip st-${n.status}` }, n.status),
      n.outcome ? stateChip(n.outcome, 'outcome') : '',
      ` ${n.kind} · ${n.logic}`,
      n.restarts ? ` · ↻ ${n.restarts} restarts` : '',
      sup?.restarts ? ` · its supervisor ↻ ${sup.restarts}` : '',
    ),
    n.budget
      ? h('div', { class: 'budget', 'data-testid': 'budget' }, `budget: ${budgetText(n.budget)}`)
      : '',
    n.traceId
      ? h('div', { class: 'trace', 'data-testid': 'trace-id' }, 'trace ', h('code', {}, n.traceId))
      : '',
    n.lastError
      ? h('div', { class: 'error' }, `✗ ${clock(n.lastError.at)} ${n.lastError.message}`)
      : '',
    sup?.lastError
      ? h(
          'div',
          { class: 'error' },
          `✗ supervisor ${clock(sup.lastError.at)} ${sup.lastError.message}`,
        )
      : '',
    writable && n.status === 'active'
      ? h(
          'button',
          { class: 'stop', onclick: () => send({ type: 'stop', path: n.id }) },
          `Stop ${tail(n)}`,
        )
      : '',
  ];
}

export function approvalCards(approvals, writable, send) {
  if (!approvals.length) return [h('p', { class: 'muted' }, 'none pending')];
  return approvals.map((a) => {
    const feedback = h('input', { type: 'text', placeholder: 'feedback (for reject)' });
    return h(
      'div',
      { class: 'approval', 'data-testid': 'approval', 'data-id': a.id },
      h('div', { class: 'question' }, a.question),
      h('div', { class: 'muted' }, `${a.path} · waiting since ${clock(a.since)}`),
      writable
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
  });
}

const duration = (ms) =>
  ms >= 3600e3
    ? `${(ms / 3600e3).toFixed(1)} h`
    : ms >= 60e3
      ? `${(ms / 60e3).toFixed(1)} min`
      : `${(ms / 1e3).toFixed(1)} s`;

/** "step 240 of 1,023 · 3.1 samples/step · 2.4% red-flagged · 2,400 steps/s · ETA 0.3 s" */
export function progressText(p) {
  if (!p) return '';
  return [
    `step ${fmt(p.step)}${p.steps !== undefined ? ` of ${fmt(p.steps)}` : ''}`,
    `${p.samplesPerStep.toFixed(1)} samples/step`,
    `${(p.redFlagRate * 100).toFixed(1)}% red-flagged`,
    p.stepsPerSecond !== undefined ? `${fmt(Math.round(p.stepsPerSecond))} steps/s` : '',
    p.etaMs !== undefined ? (p.etaMs > 0 ? `ETA ${duration(p.etaMs)}` : 'done') : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

export function voteTables(votes) {
  if (!votes.length) return [h('p', { class: 'muted' }, 'no MAKER stage')];
  return votes.map((v) => {
    const tallies = Object.entries(v.tallies).sort((a, b) => b[1] - a[1]);
    const max = Math.max(1, ...tallies.map(([, c]) => c));
    const p = v.progress;
    const pct = p?.steps ? Math.min(100, (p.step / p.steps) * 100) : undefined;
    return h(
      'div',
      { class: 'maker', 'data-testid': 'maker', 'data-path': v.path },
      p
        ? h('div', { class: 'progress-text', 'data-testid': 'maker-progress' }, progressText(p))
        : '',
      pct !== undefined
        ? h('div', { class: 'progress' }, h('div', { style: `width:${pct}%` }))
        : '',
      h(
        'table',
        { class: 'vote', 'data-testid': 'vote', 'data-path': v.path },
        h(
          'caption',
          {},
          `${v.path} · last vote: step ${fmt(v.step)} · k=${v.k} · ${v.samples} samples · ${v.flagged} flagged · `,
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
      ),
    );
  });
}
