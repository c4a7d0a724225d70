/**
 * `maestro validate FILE` and `maestro schema`. Validate reports every problem of a mission file
 * in one pass (schema and cross-field rules together, sorted by line), and warns, without
 * failing, about what may only go wrong where the mission runs (a key variable unset here).
 */
import { dirname, resolve } from 'node:path';
import type { MissionConfig } from '../config/mission.js';
import { writeFileSync } from 'node:fs';
import { ConfigError, formatConfigIssue } from '../kernel/errors.js';
import type { Env } from '../config/interpolate.js';
import { toJsonSchema } from '../config/jsonSchema.js';
import { checkConfigFile } from '../config/loader.js';
import { workspacePathIssues } from '../config/workspace.js';
import { missionSchema } from '../config/mission.js';
import { missionWarnings } from '../config/missionWarnings.js';
import type { Io } from './io.js';

export async function validateCommand(
  file: string,
  flags: { json?: boolean },
  io: Io,
  env: Env = process.env,
): Promise<number> {
  const report = await checkConfigFile(file, missionSchema, {
    env,
    warnings: missionWarnings,
    rules: (c: MissionConfig) => workspacePathIssues(c.workspace, dirname(resolve(file))),
  });
  const mission = report.value;
  if (flags.json) {
    io.out(
      JSON.stringify(
        mission
          ? { ok: true, file, name: mission.name, warnings: report.warnings }
          : { ok: false, file, issues: report.issues, warnings: report.warnings },
      ),
    );
    return mission ? 0 : 2;
  }
  for (const w of report.warnings) io.err(`warning: ${formatConfigIssue(file, w)}`);
  if (!mission) throw new ConfigError(file, report.issues);
  io.out(
    `ok: ${file} (mission '${mission.name}': ${mission.agents.length} agents, ${mission.stages.length} stages)`,
  );
  return 0;
}

export function schemaCommand(flags: { out?: string }, io: Io): number {
  const schema = JSON.stringify(
    toJsonSchema(missionSchema, {
      title: 'Maestro mission',
      id: 'https://maestro.dev/schema/mission.json',
    }),
    null,
    2,
  );
  if (flags.out) writeFileSync(flags.out, `${schema}\n`);
  else io.out(schema);
  return 0;
}
