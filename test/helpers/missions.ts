/** Mission configs for tests, built in code and validated by the real schema. */
import { mkdtempSync } from 'node:fs';
import type { LooseEvent } from './looseEvent.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  missionSchema,
  type MissionConfig,
  type MissionConfigInput,
} from '../../config/mission.js';
import { EventLog } from '../../log/eventLog.js';
import { runMission, type RunOptions } from '../../runner/runMission.js';

export function mission(
  partial: Partial<MissionConfigInput> &
    Pick<MissionConfigInput, 'providers' | 'agents' | 'stages'>,
): MissionConfig {
  return missionSchema.parse({ name: 'test', ...partial });
}

export function tempDir(prefix = 'maestro-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs a mission in a fresh state dir and returns its output and the events read back from the file. */
export async function runAndRead(config: MissionConfig, options: Partial<RunOptions> = {}) {
  const stateDir = options.stateDir ?? tempDir();
  const { output, eventLogFile } = await runMission(config, {
    stateDir,
    logger: pino({ level: 'silent' }),
    missionId: 'm1',
    ...options,
  });
  const events: LooseEvent[] = EventLog.read(eventLogFile);
  return { output, events, eventLogFile, stateDir };
}

/**
 * A mission file whose writer crashes once (an http 500) and is restarted, then two stages
 * finish: what the inspector's list, tree and history tests read.
 */
export const crashingMissionYaml = `name: crashy
providers:
  p: { kind: scripted, responses: [{ error: boom, errorKind: server }, 'fine'] }
agents: [{ id: writer, provider: p }]
stages:
  - { name: draft, prompt: 'write', agents: [writer], supervision: { intensity: 2, periodMs: 10000 } }
  - { name: polish, prompt: 'polish {{previous}}', agents: [writer] }
`;
