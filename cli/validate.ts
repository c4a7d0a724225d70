import { writeFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { toJsonSchema } from '../config/jsonSchema.js';
import { loadConfigFile } from '../config/loader.js';
import { missionSchema } from '../config/mission.js';
import type { Io } from './main.js';

export async function validateCommand(file: string, flags: { json?: boolean }, io: Io): Promise<number> {
  try {
    const mission = await loadConfigFile(file, missionSchema);
    if (flags.json) io.out(JSON.stringify({ ok: true, file, name: mission.name }));
    else io.out(`ok: ${file} (mission '${mission.name}': ${mission.agents.length} agents, ${mission.stages.length} stages)`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError) || !flags.json) throw err;
    io.out(JSON.stringify({ ok: false, file, issues: err.issues }));
    return 2;
  }
}

export function schemaCommand(flags: { out?: string }, io: Io): number {
  const schema = JSON.stringify(toJsonSchema(missionSchema, { title: 'Maestro mission', id: 'https://maestro.dev/schema/mission.json' }), null, 2);
  if (flags.out) writeFileSync(flags.out, `${schema}\n`);
  else io.out(schema);
  return 0;
}
