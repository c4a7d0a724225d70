/**
 * A mission defined in code instead of a YAML file, run in process on a scripted provider (no
 * network, no API key): the same config `maestro run` reads, validated by the same schema.
 *
 *   npx tsx examples/sdk/mission.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { defineMission, runMission } from '../../index.js';

// Typed from the mission schema (completion, compile errors) and validated as a file is: a
// mistake throws a ConfigError whose lines read `defineMission path.to.field: message`.
const mission = defineMission({
  name: 'sdk-haiku',
  input: 'supervision trees',
  providers: {
    poet: {
      kind: 'scripted',
      responses: ['Workers fall and rise /\nthe supervisor keeps count /\nfive seconds, then calm'],
    },
    editor: {
      kind: 'scripted',
      responses: [
        'Children fall and rise /\na patient parent keeps count /\nthen the tree is calm',
      ],
    },
  },
  agents: [
    { id: 'drafter', provider: 'poet', role: 'You write haiku.' },
    { id: 'reviewer', provider: 'editor', role: 'You tighten a haiku.' },
  ],
  stages: [
    { name: 'draft', prompt: 'Write a haiku about {{input}}.', agents: ['drafter'] },
    { name: 'review', prompt: 'Improve this haiku:\n{{previous}}', agents: ['reviewer'] },
  ],
});

const stateDir = mkdtempSync(join(tmpdir(), 'maestro-sdk-'));
const { output, eventLogFile } = await runMission(mission, {
  stateDir,
  logger: pino({ level: 'silent' }),
});
console.log(`mission ${output.name}: ${output.status}, ${output.stages.length} stages`);
console.log(output.result);
console.log(`events: ${eventLogFile}`);
