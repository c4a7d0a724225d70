import { describe, expect, it } from 'vitest';
import { compactValue, renderTree } from '../../inspector/textView.js';
import type { InspectorNode, InspectorSnapshot } from '../../inspector/types.js';

function node(
  id: string,
  parent: string | undefined,
  extra: Partial<InspectorNode> = {},
): InspectorNode {
  return {
    id,
    ...(parent ? { parent } : {}),
    kind: 'worker',
    logic: 'agentWorker',
    status: 'active',
    restarts: 0,
    updatedAt: 0,
    ...extra,
  };
}

function snapshot(
  nodes: InspectorNode[],
  extra: Partial<InspectorSnapshot> = {},
): InspectorSnapshot {
  return {
    type: 'snapshot',
    seq: 7,
    nodes,
    events: [],
    votes: [],
    approvals: [],
    definitions: {},
    dropped: 0,
    ...extra,
  };
}

describe('renderTree', () => {
  it('should draw a small tree with states, restarts, crashes, votes, approvals and events', () => {
    const m = 'mission/m1';
    const s = snapshot(
      [
        node(m, undefined, { kind: 'mission', logic: 'mission', value: 'running' }),
        node(`${m}/stage/draft`, m, { kind: 'supervisor', logic: 'supervisor' }),
        node(`${m}/stage/draft/agent/a1`, `${m}/stage/draft`, { value: 'calling', restarts: 1 }),
        node(`${m}/stage/draft/agent/a2`, `${m}/stage/draft`, {
          status: 'error',
          lastError: { at: 0, message: 'timeout after\n5000ms' },
        }),
        node(`${m}/stage/vote`, m, {
          kind: 'machine',
          logic: 'makerVote',
          value: { sampling: 'drawing' },
          status: 'done',
        }),
      ],
      {
        votes: [
          {
            path: `${m}/stage/vote`,
            step: 3,
            k: 2,
            samples: 5,
            tallies: { B: 1, A: 3 },
            flagged: 1,
            outcome: 'decided',
            winner: 'A',
          },
        ],
        approvals: [
          { id: 'gate-1', path: `${m}/stage/draft`, question: 'Ship the plan?', since: 0 },
        ],
        events: [
          {
            seq: 6,
            at: Date.UTC(2025, 0, 1, 12, 0, 1, 250),
            type: 'supervisor.restart',
            path: `${m}/stage/draft/agent/a1`,
            data: { reason: 'boom' },
          },
          { seq: 7, at: Date.UTC(2025, 0, 1, 12, 0, 2), type: 'stage.entered', data: {} },
        ],
      },
    );
    expect(renderTree(s)).toBe(
      [
        'seq 7 · 5 nodes · 0 dropped',
        'mission/m1  mission  running  active',
        '├─ stage/draft  supervisor  active',
        '│  ├─ agent/a1  worker  calling  active  ↻1',
        '│  └─ agent/a2  worker  error  ✗ timeout after 5000ms',
        '└─ stage/vote  machine  sampling.drawing  done',
        '',
        'votes',
        '  mission/m1/stage/vote  step 3  k=2: "A" 3, "B" 1 · 5 samples, 1 flagged · decided "A"',
        '',
        'approvals (1 pending)',
        '  gate-1  mission/m1/stage/draft: Ship the plan?',
        '',
        'events (last 2 of 2)',
        '  #6 12:00:01.250  supervisor.restart  mission/m1/stage/draft/agent/a1  {"reason":"boom"}',
        '  #7 12:00:02.000  stage.entered',
      ].join('\n'),
    );
  });

  it('should fold a pool beyond maxChildren into one line counted by status', () => {
    const nodes = [
      node('sup', undefined, { kind: 'supervisor', logic: 'supervisor' }),
      node('sup/lead', 'sup', { logic: 'lead' }),
    ];
    for (let i = 0; i < 10_000; i++)
      nodes.push(node(`sup/w${i}`, 'sup', { status: i < 50 || i >= 100 ? 'active' : 'done' }));
    const lines = renderTree(snapshot(nodes), { maxChildren: 50 }).split('\n');
    expect(lines).toHaveLength(1 + 1 + 1 + 50 + 1);
    expect(lines[2]).toBe('├─ lead  worker  active');
    expect(lines[3]).toBe('├─ w0  worker  active');
    expect(lines[52]).toBe('├─ w49  worker  active');
    expect(lines[53]).toBe('└─ … 9,950 more workers: 9,900 active, 50 done');
  });

  it('should name a node by what its path does not share with its parent', () => {
    const out = renderTree(
      snapshot([
        node('mission/m', undefined, { kind: 'mission', logic: 'mission' }),
        node('mission/m/supervisor', 'mission/m', { kind: 'supervisor' }),
        node('mission/m/stage/a', 'mission/m/supervisor', { kind: 'supervisor' }),
      ]),
    );
    expect(out.split('\n').slice(1)).toEqual([
      'mission/m  mission  active',
      '└─ supervisor  supervisor  active',
      '   └─ stage/a  supervisor  active',
    ]);
  });

  it('should say an event in words when the server gave them, and a vote with its progress', () => {
    const out = renderTree(
      snapshot([node('mission/m', undefined, { kind: 'mission' })], {
        events: [
          {
            seq: 4,
            at: Date.UTC(2026, 0, 1, 10, 0, 0),
            type: 'agent.call',
            text: '✗ writer via p:\nhttp 500',
            data: { ok: false },
          },
        ],
        votes: [
          {
            path: 'mission/m/stage/s/maker/a',
            step: 239,
            k: 2,
            samples: 3,
            tallies: { L: 3 },
            flagged: 0,
            outcome: 'decided',
            winner: 'L',
            progress: {
              step: 240,
              steps: 1023,
              samplesPerStep: 3.25,
              redFlagRate: 0.02,
              etaMs: 4100,
            },
          },
        ],
      }),
    );
    expect(out).toContain('#4 10:00:00.000  ✗ writer via p: http 500');
    expect(out).not.toContain('{"ok":false}');
    expect(out).toContain('(step 240 of 1,023, 3.3 samples/step, 2.0% red-flagged, ETA 5 s)');
  });

  it('should cut long lines to the width', () => {
    const out = renderTree(snapshot([node('a-very-long-actor-name', undefined)]), { width: 12 });
    expect(out.split('\n')[1]).toBe('a-very-long…');
  });

  it('should show nodes whose parents are missing or form a cycle', () => {
    const out = renderTree(snapshot([node('x', 'y'), node('y', 'x'), node('z', 'gone')]));
    expect(out.split('\n').slice(1)).toEqual([
      'z  worker  active',
      'x  worker  active',
      '└─ y  worker  active',
    ]);
  });
});

describe('compactValue', () => {
  it('should write a state value in one word where it can', () => {
    expect(compactValue('running')).toBe('running');
    expect(compactValue({ sampling: { drawing: 'first' } })).toBe('sampling.drawing.first');
    expect(compactValue({ run: { left: 'a', right: 'b' } })).toBe('run.(left.a, right.b)');
    expect(compactValue(undefined)).toBe('');
  });
});
