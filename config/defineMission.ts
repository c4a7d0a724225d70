/**
 * Missions in code: `defineMission({...})` takes what a mission file holds, typed from the same
 * zod schema (`missionSchema`'s input), so an editor completes its fields and `tsc` refuses a
 * wrong one; at run time it validates exactly as the file loader does (the schema, then the
 * cross-field rules of missionRules.ts) and throws the same `ConfigError`, its issues reading
 * `defineMission stages[0].agents: expected at least 1 agent`. It returns the parsed config,
 * defaults applied: what `runMission` takes. `loadMissionFile` is the same from a YAML or JSON file.
 */
import { loadConfigFile, parseConfigValue, type LoadOptions } from './loader.js';
import { missionSchema, type MissionConfig, type MissionConfigInput } from './mission.js';

/** The "file" a `defineMission` error names. */
export const DEFINE_MISSION_FILE = 'defineMission';

/**
 * The mission `input` describes, validated, defaults applied. Register custom provider kinds,
 * step tasks, red-flaggers and oracles before calling it. Throws `ConfigError` listing every issue.
 */
export function defineMission(input: MissionConfigInput): MissionConfig {
  return parseConfigValue(input, DEFINE_MISSION_FILE, missionSchema);
}

/** The mission in a YAML or JSON file (`${ENV}` interpolated), validated. Throws `ConfigError`. */
export function loadMissionFile(file: string, options?: LoadOptions): Promise<MissionConfig> {
  return loadConfigFile(file, missionSchema, options);
}
