import { describe, expect, it } from 'vitest';
import { loggedMissionSchema, missionSchema } from '../../config/mission.js';

const long = 'm'.repeat(129);
const mission = (name: string, agent: string) => ({
  name,
  providers: { p: { kind: 'scripted', responses: ['ok'] } },
  agents: [{ id: agent, provider: 'p' }],
  stages: [{ name: 's', prompt: 'hi', agents: [agent] }],
});

describe('id lengths', () => {
  it('should refuse a new mission whose name or agent id is over 128 characters, at their paths', () => {
    const r = missionSchema.safeParse(mission(long, `a${long}`));
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['name', 'expected at most 128 characters'],
      ['agents.0.id', 'expected at most 128 characters'],
    ]);
  });

  it('should accept exactly 128 characters', () => {
    expect(missionSchema.safeParse(mission('m'.repeat(128), 'a')).success).toBe(true);
  });

  it('should still read a logged mission written before the limit, whose name is longer', () => {
    const r = loggedMissionSchema.safeParse(mission(long, 'a'));
    expect(r.success).toBe(true);
    expect(r.data!.name).toBe(long);
  });
});
