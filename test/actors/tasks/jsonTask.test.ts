import { describe, expect, it } from 'vitest';
import { canonicalJson, createJsonTask, parseJsonAnswer } from '../../../actors/tasks/jsonTask.js';
import { mission, runAndRead } from '../../helpers/missions.js';

describe('json step task (declared in the mission file)', () => {
  it('should parse only the exact JSON object and tally by its canonical form', () => {
    const a = parseJsonAnswer('{"next_state": {"b": 1, "a": 2}, "answer": "x"}');
    const b = parseJsonAnswer(' {"answer":"x","next_state":{"a":2,"b":1},"done":false}\n');
    expect(a).toEqual(b);
    expect(a).toEqual({
      answer: '{"answer":"x","done":false,"next_state":{"a":2,"b":1}}',
      nextState: { value: { a: 2, b: 1 }, done: false },
    });
    expect(parseJsonAnswer('Sure! {"answer":1,"next_state":1}')).toEqual({
      error: 'not a JSON object',
    });
    expect(parseJsonAnswer('[1]')).toEqual({ error: 'not a JSON object' });
    expect(parseJsonAnswer('{"answer":1,"next_state":1,"why":"because"}')).toEqual({
      error: "unexpected key 'why'",
    });
    expect(parseJsonAnswer('{"answer":1}')).toEqual({ error: "no 'next_state'" });
    expect(parseJsonAnswer('{"answer":1,"next_state":2,"done":"yes"}')).toEqual({
      error: "'done' must be true or false",
    });
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe(
      '{"a":null,"b":[1,{"c":2,"d":1}]}',
    );
  });

  it('should fill the prompt template and end at the goal', () => {
    const task = createJsonTask({
      initialState: { n: 3 },
      prompt: 'Step {{step}}: state {{state}}, last {{previous}}.',
      goal: { n: 0 },
    });
    const s0 = task.initialState({ initialState: { n: 3 }, prompt: '' });
    expect(task.prompt(s0, 0, undefined).split('\n')[0]).toBe('Step 0: state {"n":3}, last none.');
    expect(task.isDone(s0, 0)).toBe(false);
    expect(task.isDone({ value: { n: 0 }, done: false }, 3)).toBe(true);
    expect(task.isDone({ value: { n: 5 }, done: true }, 3)).toBe(true);
  });

  it('should run as a MAKER stage: votes decide each step, a disagreeing sample is outvoted', async () => {
    const step = (n: number) => JSON.stringify({ answer: `down to ${n}`, next_state: { n } });
    const config = mission({
      providers: {
        // k = 2: step 1 gets a wrong sample, so it takes four samples to lead by two.
        counter: {
          kind: 'scripted',
          responses: [step(2), step(2), step(1), step(9), step(1), step(1), step(0), step(0)],
        },
      },
      agents: [{ id: 'a', provider: 'counter' }],
      stages: [
        {
          name: 'count',
          maker: {
            task: {
              kind: 'json',
              initialState: { n: 3 },
              prompt: 'Count down by one from {{state}}.',
              goal: { n: 0 },
            },
            agent: 'a',
            k: 2,
            maxSamples: 10,
          },
        },
      ],
    });
    const { output, events } = await runAndRead(config);
    expect(output.status).toBe('succeeded');
    expect(JSON.parse(output.result!)).toEqual({
      steps: 3,
      state: { value: { n: 0 }, done: false },
    });
    const votes = events.filter((e) => e.type === 'maker.vote');
    expect(votes.map((v) => v.samples)).toEqual([2, 4, 2]);
    expect(votes[1]!.tallies).toEqual({
      [JSON.parse(JSON.stringify(votes[1]!.answer))]: 3,
      '{"answer":"down to 9","done":false,"next_state":{"n":9}}': 1,
    });
  });
});
