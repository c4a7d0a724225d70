import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { loggedMissionSchema, missionSchema } from '../../config/mission.js';
import { daemonsPerTest, until } from '../helpers/daemonServer.js';
import { tempDir } from '../helpers/missions.js';

// Before placeholders were checked, this prompt was valid: `{{name}}` went to the model as text.
const config = {
  name: 'older',
  providers: { p: { kind: 'scripted', responses: ['done'] } },
  agents: [{ id: 'a', provider: 'p' }],
  stages: [{ name: 's', prompt: 'Fill in {{name}} for me.', agents: ['a'] }],
};

const serve = daemonsPerTest();

describe('a mission config read back from its log (rules added since do not stop a resume)', () => {
  it('should refuse the unknown placeholder in a file but accept it in a logged config', () => {
    expect(missionSchema.safeParse(config).error?.issues.map((i) => i.message)).toEqual([
      "unknown placeholder '{{name}}' (known: {{input}}, {{previous}})",
    ]);
    expect(loggedMissionSchema.parse(config).stages[0]!.prompt).toBe('Fill in {{name}} for me.');
    // every other rule still holds for a logged config
    expect(
      loggedMissionSchema
        .safeParse({ ...config, agents: [{ id: 'a', provider: 'q' }] })
        .error?.issues.map((i) => i.message),
    ).toEqual(["unknown provider 'q' (known: p)"]);
  });

  it('should resume, in a new daemon, a mission the previous code accepted with a literal {{name}}', async () => {
    const stateDir = tempDir('maestro-daemon-');
    mkdirSync(join(stateDir, 'missions'));
    // written by the code before placeholders were checked (01fedfe): submitted, then the daemon stopped
    copyFileSync(
      'test/fixtures/logs/literal-placeholder.jsonl',
      EventLog.pathFor(stateDir, 'old1'),
    );
    const d = await serve({ stateDir });
    expect(d.started).toEqual({ resumed: ['old1'], finished: 0 });
    expect((await until(d, 'old1', 'succeeded')).result).toBe('done');
  });
});
