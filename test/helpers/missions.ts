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
