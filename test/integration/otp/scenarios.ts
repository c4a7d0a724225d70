/**
 * The scenarios the differential test runs on real OTP (`diff_*.erl`) and on Maestro's
 * supervisor, as plain data both sides read. Periods are whole seconds: OTP counts them so.
 * `wait` past a period is 2.5 s, so OTP's whole-second arithmetic cannot round it inside.
 */
export interface DiffChild {
  id: string;
  restart?: 'permanent' | 'transient' | 'temporary';
  shutdown?: 'brutal_kill' | 'infinity' | number;
  significant?: boolean;
  type?: 'worker' | 'supervisor';
  /** A worker asked to stop: stops (default), hangs until killed, or crashes. */
  on_shutdown?: 'stop' | 'hang' | 'crash';
  /** Start attempts (1-based) whose start function fails. */
  fail_starts?: number[];
  sup?: DiffSupervisor;
}

export interface DiffSupervisor {
  flags: { strategy?: string; intensity?: number; periodMs?: number; autoShutdown?: string };
  children: DiffChild[];
}

export type ExitReason = 'normal' | 'shutdown' | 'crash' | { shutdown: string };

export type DiffStep =
  | { exit: string; reason: ExitReason }
  | { wait: number }
  | { shutdown: true }
  | {
      call: 'terminate_child' | 'restart_child' | 'delete_child' | 'count_children';
      sup: string;
      id?: string;
    }
  | { call: 'start_child'; sup: string; name: string }
  | { call: 'start_child'; sup: string; id: string; child: DiffChild };

export interface DiffScenario {
  name: string;
  sup: DiffSupervisor;
  steps: DiffStep[];
}

const w = (id: string, extra: Partial<DiffChild> = {}): DiffChild => ({ id, ...extra });
const crash = (path: string): DiffStep => ({ exit: path, reason: 'crash' });
const count = (sup = 'root'): DiffStep => ({ call: 'count_children', sup });
const ABC = [w('A'), w('B'), w('C')];

export const scenarios: DiffScenario[] = [
  {
    name: 'one_for_one restarts the crashed child only',
    sup: { flags: { intensity: 3, periodMs: 5000 }, children: ABC },
    steps: [crash('root/B'), { shutdown: true }],
  },
  {
    name: 'one_for_all stops the others in reverse and restarts all in order',
    sup: { flags: { strategy: 'one_for_all', intensity: 3, periodMs: 5000 }, children: ABC },
    steps: [crash('root/B'), { shutdown: true }],
  },
  {
    name: 'rest_for_one restarts the crashed child and those after it',
    sup: { flags: { strategy: 'rest_for_one', intensity: 3, periodMs: 5000 }, children: ABC },
    steps: [crash('root/B'), { shutdown: true }],
  },
  {
    name: 'simple_one_for_one: crash, calls that need a spec, stop all',
    sup: {
      flags: { strategy: 'simple_one_for_one', intensity: 3, periodMs: 5000 },
      children: [w('T')],
    },
    steps: [
      { call: 'start_child', sup: 'root', name: 'x' },
      { call: 'start_child', sup: 'root', name: 'y' },
      { call: 'start_child', sup: 'root', name: 'z' },
      crash('root/y'),
      count(),
      { call: 'restart_child', sup: 'root', id: 'T' },
      { call: 'delete_child', sup: 'root', id: 'T' },
      { shutdown: true },
    ],
  },
  {
    name: 'simple_one_for_one with a transient template: a normal exit removes the child',
    sup: {
      flags: { strategy: 'simple_one_for_one' },
      children: [w('T', { restart: 'transient' })],
    },
    steps: [
      { call: 'start_child', sup: 'root', name: 'x' },
      { call: 'start_child', sup: 'root', name: 'y' },
      { exit: 'root/x', reason: 'normal' },
      count(),
      crash('root/y'),
      count(),
    ],
  },
  {
    name: 'intensity 0 gives up on the first crash',
    sup: { flags: { intensity: 0, periodMs: 1000 }, children: ABC },
    steps: [crash('root/B')],
  },
  {
    name: 'intensity 1: a second crash within the period gives up',
    sup: { flags: { intensity: 1, periodMs: 1000 }, children: ABC },
    steps: [crash('root/A'), crash('root/A')],
  },
  {
    name: 'intensity 1: a second crash beyond the period is restarted',
    sup: { flags: { intensity: 1, periodMs: 1000 }, children: ABC },
    steps: [crash('root/A'), { wait: 2500 }, crash('root/A'), count()],
  },
  {
    name: 'intensity 3: the fourth crash within the period gives up',
    sup: { flags: { intensity: 3, periodMs: 5000 }, children: [w('A'), w('B')] },
    steps: [crash('root/A'), crash('root/B'), crash('root/A'), crash('root/B')],
  },
  {
    name: 'intensity 3: crashes spread beyond the period are all restarted',
    sup: { flags: { intensity: 3, periodMs: 1000 }, children: [w('A'), w('B')] },
    steps: [
      crash('root/A'),
      crash('root/B'),
      crash('root/A'),
      { wait: 2500 },
      crash('root/B'),
      crash('root/A'),
      crash('root/B'),
      count(),
    ],
  },
  {
    name: 'a permanent child that exits normally is restarted',
    sup: { flags: { intensity: 3 }, children: [w('A'), w('B')] },
    steps: [{ exit: 'root/A', reason: 'normal' }, count()],
  },
  {
    name: 'transient children: normal, shutdown and {shutdown, x} stay down, a crash restarts',
    sup: {
      flags: { intensity: 3 },
      children: ['N', 'C', 'S', 'T'].map((id) => w(id, { restart: 'transient' })),
    },
    steps: [
      { exit: 'root/N', reason: 'normal' },
      crash('root/C'),
      { exit: 'root/S', reason: 'shutdown' },
      { exit: 'root/T', reason: { shutdown: 'done' } },
      count(),
      { shutdown: true },
    ],
  },
  {
    name: 'a temporary child taken down under one_for_all is not restarted, and is deleted',
    sup: {
      flags: { strategy: 'one_for_all', intensity: 3 },
      children: [w('A'), w('T', { restart: 'temporary' }), w('C')],
    },
    steps: [crash('root/A'), count(), crash('root/C'), count()],
  },
  {
    name: 'a temporary child that crashes is reported and deleted',
    sup: { flags: { intensity: 0 }, children: [w('A'), w('T', { restart: 'temporary' })] },
    steps: [crash('root/T'), count()],
  },
  {
    name: 'shutdown in reverse order: a timeout kills, brutal_kill kills at once, a crash on stop is a shutdown_error',
    sup: {
      flags: {},
      children: [
        w('A'),
        w('B', { on_shutdown: 'hang', shutdown: 300 }),
        w('C', { shutdown: 'brutal_kill' }),
        w('D', { on_shutdown: 'crash' }),
      ],
    },
    steps: [{ shutdown: true }],
  },
  {
    name: 'any_significant: a significant transient child exiting normally shuts the supervisor down',
    sup: {
      flags: { autoShutdown: 'any_significant' },
      children: [w('A'), w('S', { restart: 'transient', significant: true }), w('B')],
    },
    steps: [{ exit: 'root/S', reason: 'normal' }],
  },
  {
    name: 'any_significant: a significant transient child that crashes is restarted, no shutdown',
    sup: {
      flags: { autoShutdown: 'any_significant', intensity: 2 },
      children: [w('A'), w('S', { restart: 'transient', significant: true })],
    },
    steps: [crash('root/S'), count()],
  },
  {
    name: 'any_significant: a significant temporary child that crashes shuts the supervisor down',
    sup: {
      flags: { autoShutdown: 'any_significant', intensity: 2 },
      children: [w('A'), w('S', { restart: 'temporary', significant: true })],
    },
    steps: [crash('root/S')],
  },
  {
    name: 'all_significant: the last significant child exiting shutdown ends it, the first does not',
    sup: {
      flags: { autoShutdown: 'all_significant' },
      children: [
        w('A'),
        w('S1', { restart: 'transient', significant: true }),
        w('S2', { restart: 'transient', significant: true }),
      ],
    },
    steps: [
      { exit: 'root/S1', reason: 'shutdown' },
      count(),
      { exit: 'root/S2', reason: { shutdown: 'finished' } },
    ],
  },
  {
    name: 'nested: a permanent child supervisor that gives up is restarted, until the parent gives up too',
    sup: {
      flags: { intensity: 1, periodMs: 5000 },
      children: [
        w('A'),
        {
          id: 'S',
          type: 'supervisor',
          sup: { flags: { intensity: 1, periodMs: 5000 }, children: [w('W')] },
        },
      ],
    },
    steps: [crash('root/S/W'), crash('root/S/W'), crash('root/S/W'), crash('root/S/W')],
  },
  {
    name: 'nested: a transient child supervisor that gives up (exit shutdown) stays down',
    sup: {
      flags: { intensity: 1, periodMs: 5000 },
      children: [
        w('A'),
        {
          id: 'S',
          type: 'supervisor',
          restart: 'transient',
          sup: { flags: { intensity: 1, periodMs: 5000 }, children: [w('W1'), w('W2')] },
        },
      ],
    },
    steps: [
      crash('root/S/W1'),
      crash('root/S/W2'),
      count(),
      { call: 'restart_child', sup: 'root', id: 'S' },
      count(),
    ],
  },
  {
    name: 'nested: a significant transient child supervisor that gives up shuts its any_significant parent down',
    sup: {
      flags: { intensity: 1, autoShutdown: 'any_significant' },
      children: [
        w('A'),
        {
          id: 'S',
          type: 'supervisor',
          restart: 'transient',
          significant: true,
          sup: { flags: { intensity: 0 }, children: [w('W')] },
        },
      ],
    },
    steps: [crash('root/S/W')],
  },
  {
    name: 'a start function that fails at init: the supervisor fails to start',
    sup: { flags: {}, children: [w('A'), w('B', { fail_starts: [1] }), w('C')] },
    steps: [],
  },
  {
    name: 'a restart whose start function fails is tried again, each try counting as a restart',
    sup: { flags: { intensity: 3 }, children: [w('A', { fail_starts: [2, 3] }), w('B')] },
    steps: [crash('root/A'), count()],
  },
  {
    name: 'a restart that keeps failing to start reaches the intensity',
    sup: { flags: { intensity: 1 }, children: [w('A', { fail_starts: [2] }), w('B')] },
    steps: [crash('root/A')],
  },
  {
    name: 'one_for_all: a failed start in the restart restarts the whole group again',
    sup: {
      flags: { strategy: 'one_for_all', intensity: 3 },
      children: [w('A'), w('B', { fail_starts: [2] }), w('C')],
    },
    steps: [crash('root/A'), count()],
  },
  {
    name: 'rest_for_one: a failed start in the restart restarts from the failed child on',
    sup: {
      flags: { strategy: 'rest_for_one', intensity: 3 },
      children: [w('A'), w('B', { fail_starts: [2] }), w('C')],
    },
    steps: [crash('root/A'), count()],
  },
  {
    name: 'terminate_child, restart_child, delete_child and start_child answer as OTP',
    sup: {
      flags: {},
      children: [
        w('A'),
        w('B', { on_shutdown: 'hang', shutdown: 200 }),
        w('T', { restart: 'temporary' }),
      ],
    },
    steps: [
      { call: 'terminate_child', sup: 'root', id: 'B' },
      { call: 'restart_child', sup: 'root', id: 'B' },
      { call: 'restart_child', sup: 'root', id: 'B' },
      { call: 'delete_child', sup: 'root', id: 'A' },
      { call: 'terminate_child', sup: 'root', id: 'A' },
      { call: 'delete_child', sup: 'root', id: 'A' },
      { call: 'restart_child', sup: 'root', id: 'A' },
      { call: 'terminate_child', sup: 'root', id: 'A' },
      { call: 'terminate_child', sup: 'root', id: 'T' },
      count(),
      { call: 'start_child', sup: 'root', id: 'D', child: w('D') },
      { call: 'start_child', sup: 'root', id: 'D', child: w('D') },
      { call: 'terminate_child', sup: 'root', id: 'D' },
      { call: 'start_child', sup: 'root', id: 'D', child: w('D') },
      { call: 'start_child', sup: 'root', id: 'E', child: w('E', { fail_starts: [1] }) },
      count(),
      { shutdown: true },
    ],
  },
];
