import { afterEach, describe, expect, it } from 'vitest';
import { approveCommand, pendingGateOf } from '../../cli/approve.js';
import type { InspectorServer } from '../../inspector/server.js';
import type { ApprovalRecord } from '../../daemon/daemonApi.js';
import { terminalIo } from '../helpers/captureIo.js';
import { FakeDaemon, serveFake, testToken } from '../helpers/fakeDaemon.js';

let server: InspectorServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const gate = (mission: string, stage: string, attempt = 1): ApprovalRecord => ({
  id: `${mission}/${stage}/${attempt}`,
  mission,
  stage,
  attempt,
  output: '',
  requestedAt: '2025-01-01T00:00:30.000Z',
  status: 'pending',
});

describe('pendingGateOf (maestro approve MISSION)', () => {
  const pending = [gate('m1', 'plan'), gate('m2', 'plan'), gate('m2', 'code')];
  it.each([
    ['the one gate of a mission', 'm1', 'm1/plan/1'],
    ['the one gate of a stage', 'm2/code', 'm2/code/1'],
  ])('%s', (_name, target, id) => {
    expect(pendingGateOf(target, pending)).toBe(id);
  });
  it.each([
    [
      'no gate',
      'm3',
      "maestro approve: mission 'm3' has no pending approval (see: maestro approve)",
    ],
    [
      'no gate at that stage',
      'm1/code',
      "maestro approve: stage 'code' of mission 'm1' has no pending approval (see: maestro approve)",
    ],
    [
      'several gates',
      'm2',
      "maestro approve: mission 'm2' has 2 pending approvals: m2/plan/1, m2/code/1; name one",
    ],
    [
      'a malformed id',
      'm2/plan/x/1',
      "maestro approve: 'm2/plan/x/1' is no approval id (MISSION/STAGE/ATTEMPT) nor mission id",
    ],
  ])('should refuse %s, saying which', (_name, target, message) => {
    expect(() => pendingGateOf(target, pending)).toThrow(message);
  });
});

describe('maestro approve MISSION (against a daemon)', () => {
  it('should answer the one pending gate of a mission, as the example says (maestro approve ID)', async () => {
    const daemon = new FakeDaemon();
    server = await serveFake(daemon);
    const flags = { url: server.url, token: testToken };
    daemon.request('approval-1', 'plan', 'the plan');
    const io = terminalIo();
    expect(
      await approveCommand('approval-1', { ...flags, reject: true, feedback: 'shorter' }, io),
    ).toBe(0);
    expect(io.stdout).toEqual(['rejected approval-1/plan/1']);
    expect(daemon.answers).toEqual([
      { id: 'approval-1/plan/1', answer: { decision: 'reject', feedback: 'shorter', by: 'api' } },
    ]);
    // Answered: the mission has no pending gate left to name.
    await expect(approveCommand('approval-1', flags, terminalIo())).rejects.toThrow(
      "maestro approve: mission 'approval-1' has no pending approval (see: maestro approve)",
    );
  });
});
