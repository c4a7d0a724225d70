import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { mission, runAndRead } from '../helpers/missions.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/plan.yaml', import.meta.url));
const KEY = 'sk-plan-openai-test-0123456789';

/**
 * A stand-in for a real model behind an OpenAI-compatible API: it tells the prompts apart by
 * their first line (the prompt library's) and answers each as a model would, in the forms the
 * prompts ask for. The deploy task gets an HTTP 500, every time.
 */
function answer(prompt: string): { status: number; text: string } {
  const first = prompt.split('\n')[0]!;
  const json = (v: unknown) => ({ status: 200, text: `\`\`\`json\n${JSON.stringify(v)}\n\`\`\`` });
  if (first.includes('Before anyone plans'))
    return json({
      problem: 'no health check',
      constraints: ['no downtime'],
      assumptions: ['LB probes HTTP'],
      minimalSolution: 'GET /health',
    });
  if (first.includes('Simulate one approach')) {
    const approach = /Approach: (\S+)/.exec(prompt)![1]!;
    return json({
      approach,
      summary: `do it the ${approach} way`,
      steps: ['add route'],
      risks: ['none seen'],
    });
  }
  if (first.includes('Stress-test one proposed approach'))
    return json({ approach: 'x', weaknesses: ['w'], score: 6, fatal: false });
  if (first.includes('Synthesize one master plan')) {
    return json({
      confidence: 0.8,
      thoughtChain: ['elegant'],
      steps: [
        {
          id: 'research',
          title: 'Research',
          prompt: 'Find the boot order.',
          capabilities: ['research'],
        },
        {
          id: 'design',
          title: 'Design',
          prompt: 'Design it.',
          dependsOn: ['research'],
          capabilities: ['design'],
        },
        {
          id: 'backend',
          title: 'Backend',
          prompt: 'Build it.',
          dependsOn: ['design'],
          capabilities: ['code'],
        },
        {
          id: 'flag',
          title: 'Flag',
          prompt: 'Add the flag.',
          dependsOn: ['design'],
          capabilities: ['code'],
        },
        {
          id: 'tests',
          title: 'Tests',
          prompt: 'Test it.',
          dependsOn: ['backend', 'flag'],
          capabilities: ['code'],
        },
        {
          id: 'deploy',
          title: 'Deploy',
          prompt: 'Ship it.',
          dependsOn: ['tests'],
          capabilities: ['ops'],
        },
      ],
    });
  }
  if (first.includes('premortem')) return json({ fatalFlaws: [], risks: ['deploy access'] });
  if (first.includes('Revise the plan'))
    return json({
      confidence: 0.7,
      thoughtChain: ['no access'],
      steps: [
        {
          id: 'runbook',
          title: 'Runbook',
          prompt: 'Write the runbook.',
          dependsOn: ['tests'],
          capabilities: ['docs'],
        },
      ],
    });
  if (first.includes('shared blackboard'))
    return {
      status: 200,
      text: 'State: all but deploy done. Pattern: no cluster access. Next: a runbook.',
    };
  if (first.includes('final report'))
    return { status: 200, text: 'Shipped all but the deploy; a runbook replaces it.' };
  if (first.includes('reviewer watching')) return json({ decision: 'continue', reason: 'fine' });
  if (first.includes('carrying out a plan')) {
    const title = /Your step: (.+)/.exec(prompt)![1]!;
    return title === 'Deploy'
      ? { status: 500, text: 'cluster unreachable' }
      : { status: 200, text: `${title}: done` };
  }
  return { status: 400, text: `unexpected prompt: ${first}` };
}

async function fakeModel() {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const prompt = (JSON.parse(body) as { messages: { content: string }[] }).messages.at(
        -1,
      )!.content;
      seen.push(prompt.split('\n')[0]!);
      const a = answer(prompt);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      if (a.status !== 200) return res.end(JSON.stringify({ error: { message: a.text } }));
      res.end(
        JSON.stringify({
          id: 'c',
          object: 'chat.completion',
          created: 0,
          model: 'kimi-k2',
          choices: [
            { index: 0, message: { role: 'assistant', content: a.text }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

let close: (() => void) | undefined;
afterEach(() => close?.());

describe('examples/plan.yaml on an OpenAI-compatible endpoint (local server, real SDK)', () => {
  it('should plan, run, replan and synthesize with every agent on one openai provider, the key kept out of the log', async () => {
    const { server, url, seen } = await fakeModel();
    close = () => server.close();
    const example = await loadConfigFile(EXAMPLE, missionSchema, { env: {} });
    // The README's recipe: one OpenAI-compatible provider, every agent pointed at it.
    const config = mission({
      ...example,
      providers: {
        model: {
          kind: 'openai',
          baseURL: url,
          apiKeyEnv: 'TEST_MODEL_KEY',
          model: 'moonshotai/kimi-k2',
          maxRetries: 0,
        },
      },
      agents: example.agents.map((a) => ({ ...a, provider: 'model' })),
    });
    const { output, events, eventLogFile } = await runAndRead(config, {
      env: { TEST_MODEL_KEY: KEY },
    });
    expect(output).toMatchObject({
      status: 'succeeded',
      result: 'Shipped all but the deploy; a runbook replaces it.',
    });
    expect(events.filter((e) => e.type === 'task.failed').map((e) => e.task)).toEqual(['deploy']);
    expect(
      events
        .filter((e) => e.type === 'plan.compiled')
        .map((e) => (e.tasks as { id: string }[]).length),
    ).toEqual([6, 1]);
    // The fenced JSON answers parsed at the first draw: no red flags.
    expect(events.filter((e) => e.type === 'genius.phase').every((e) => e.flagged === 0)).toBe(
      true,
    );
    expect(seen.filter((l) => l.includes('Simulate one approach'))).toHaveLength(5);
    expect(readFileSync(eventLogFile, 'utf8')).not.toContain(KEY);
  });
});
