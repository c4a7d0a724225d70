/**
 * A council stage's config: its defaults, and each mistake as `file:line path: message` (too
 * few members, a quorum outside (0, 1], no roles or no dissenter, an unknown member), every one
 * in one pass.
 */
import { describe, expect, it } from 'vitest';
import { checkConfigText, parseConfigText } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';

const mission = (council: string, extra = '') => `name: c
providers:
  p: {kind: scripted, responses: ["x"]}
agents:
  - {id: a, provider: p}
  - {id: b, provider: p}
  - {id: c, provider: p}
stages:
  - name: decide
${extra}    council:
${council}`;

describe('council stage config', () => {
  it('should take a question and members, with the defaults filled in', () => {
    const m = parseConfigText(
      mission('      question: Which?\n      members: [a, b, c]\n'),
      'c.yaml',
      missionSchema,
    );
    expect(m.stages[0]!.council).toEqual({
      question: 'Which?',
      members: ['a', 'b', 'c'],
      rounds: 3,
      roles: ['scribe', 'dissenter', 'strategist', 'analyst', 'arbiter'],
      quorum: { agree: 2, of: 3 },
      minMembers: 3,
      agreement: 'normalized',
      anonymize: true,
      onNoQuorum: 'escalate',
    });
    // the stage's prompt may be the question
    const p = parseConfigText(
      mission('      members: [a, b, c]\n', '    prompt: Which?\n'),
      'c.yaml',
      missionSchema,
    );
    expect(p.stages[0]!.council!.question).toBeUndefined();
  });

  it('should say every mistake at its line', () => {
    const text = mission(
      '      members: [a, b, ghost]\n      minMembers: 4\n      quorum: {agree: 3, of: 2}\n      roles: [scribe, analyst]\n',
    );
    const report = checkConfigText(text, 'c.yaml', missionSchema);
    const lines = report.issues.map((i) => `c.yaml:${i.line} ${i.path}: ${i.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'c.yaml:13 stages[0].council.quorum: expected a fraction in (0, 1]: agree at most of',
      ]),
    );
    expect(report.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['stages[0].council.quorum']),
    );
  });

  it('should refuse a council with too few members, no dissenter, an unknown member, no question', () => {
    const text = mission(
      '      members: [a, b, ghost]\n      minMembers: 4\n      roles: [scribe, analyst]\n',
    );
    const issues = checkConfigText(text, 'c.yaml', missionSchema).issues.map(
      (i) => `${i.line} ${i.path}: ${i.message}`,
    );
    expect(issues).toEqual([
      '10 stages[0].council.question: required (or the stage prompt)',
      "11 stages[0].council.members[2]: unknown agent 'ghost' (known: a, b, c)",
      '11 stages[0].council.members: expected at least 4 members (minMembers), got 3: fewer can never meet a quorum',
      "13 stages[0].council.roles: expected 'dissenter' among them: one member each round argues against the leading position",
    ]);
  });

  it.each([
    ['quorum: {agree: 0, of: 3}', 'stages[0].council.quorum.agree: expected at least 1'],
    ['roles: []', 'stages[0].council.roles: expected at least 1 role'],
    ['rounds: 11', 'stages[0].council.rounds: expected at most 10'],
    ['agreement: fuzzy', 'stages[0].council.agreement'],
  ])('should refuse %s', (field, message) => {
    const text = mission(`      question: q\n      members: [a, b, c]\n      ${field}\n`);
    const issues = checkConfigText(text, 'c.yaml', missionSchema).issues.map(
      (i) => `${i.path}: ${i.message}`,
    );
    expect(issues.join('\n')).toContain(message);
  });

  it('should refuse agents beside a council', () => {
    const text = mission('      question: q\n      members: [a, b, c]\n', '    agents: [a]\n');
    const issues = checkConfigText(text, 'c.yaml', missionSchema).issues.map(
      (i) => `${i.path}: ${i.message}`,
    );
    expect(issues).toContain(
      'stages[0].council: a council stage takes no agents (its members answer, in rounds)',
    );
  });
});
