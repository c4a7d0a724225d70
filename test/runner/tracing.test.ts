/**
 * OpenTelemetry spans of a mission, with an in-memory exporter: a mission with a crash and a
 * MAKER stage yields the span tree and the attributes the GenAI semantic conventions name (a
 * golden list), the decisions as events on the mission's span, and the trace id in the mission's
 * log; off, nothing is recorded and the log holds no trace id. Then OTLP/HTTP to a local
 * collector stand-in, and to an endpoint that does not answer: the mission is not failed, the
 * spans are dropped and counted.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { missionSchema } from '../../config/mission.js';
import { droppedSpans, endMission, startMission } from '../../kernel/tracing.js';
import { startTracing, type Tracing } from '../../runner/tracing.js';
import { verify } from '../../sandbox/verify.js';
import { mission, runAndRead } from '../helpers/missions.js';

const example = (name: string) =>
  missionSchema.parse(
    parse(readFileSync(join(import.meta.dirname, '../../examples', name), 'utf8')),
  );

let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

const maker = mission({
  providers: { model: { kind: 'simulated', seed: 3, task: { kind: 'hanoi' } } },
  agents: [{ id: 'solver', provider: 'model' }],
  stages: [{ name: 'solve', maker: { task: { kind: 'hanoi', disks: 2 }, agent: 'solver', k: 2 } }],
});

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('mission traces', () => {
  it('should give a crash mission the span tree and attributes of the GenAI conventions', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = startTracing({ version: 'test', exporter, env: {} });
    const { events, output } = await runAndRead(example('crash.yaml'));
    expect(output.status).toBe('succeeded');
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    const workflow = spans.filter((s) => s.name.startsWith('invoke_workflow '));
    expect(workflow.map((s) => s.name)).toEqual(['invoke_workflow crash-and-restart']);
    const root = workflow[0]!;
    expect(root.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'maestro.mission.id': 'm1',
      'maestro.mission.status': 'succeeded',
    });
    const invokes = spans.filter((s) => s.name.startsWith('invoke_agent '));
    const chats = spans.filter((s) => s.name.startsWith('chat '));
    expect(invokes.length).toBeGreaterThan(0);
    expect(chats.length).toBe(invokes.length);
    for (const s of [...invokes, ...chats])
      expect(s.spanContext().traceId).toBe(root.spanContext().traceId);
    for (const s of invokes) {
      expect(parentOf(s)).toBe(root.spanContext().spanId);
      expect(Object.keys(s.attributes).sort()).toEqual(
        expect.arrayContaining(['gen_ai.agent.name', 'gen_ai.operation.name', 'maestro.path']),
      );
    }
    const invokeIds = new Set(invokes.map((s) => s.spanContext().spanId));
    for (const s of chats) {
      expect(invokeIds.has(parentOf(s)!)).toBe(true);
      expect(s.attributes['gen_ai.operation.name']).toBe('chat');
      expect(s.attributes['gen_ai.provider.name']).toEqual(expect.any(String));
      expect(s.attributes['gen_ai.request.model']).toEqual(expect.any(String));
    }
    // the golden list: a call that answered has its usage, one that failed its error type
    const ok = chats.filter((s) => s.status.code !== 2);
    const failed = chats.filter((s) => s.status.code === 2);
    expect(failed.length).toBeGreaterThan(0);
    for (const s of ok)
      for (const a of [
        'gen_ai.response.model',
        'gen_ai.usage.input_tokens',
        'gen_ai.usage.output_tokens',
      ])
        expect(s.attributes[a], a).toBeDefined();
    for (const s of failed) expect(s.attributes['error.type']).toEqual(expect.any(String));
    // prompts and answers stay out unless asked
    for (const s of chats) expect(s.attributes['gen_ai.input.messages']).toBeUndefined();
    // the supervisor's restart is an event of the mission's span
    const decisions = root.events.filter((e) => e.name === 'maestro.supervisor.decision');
    expect(decisions.map((e) => e.attributes?.['maestro.action'])).toContain('restart');
    // the log names the trace
    const started = events.find((e) => e.type === 'mission.started');
    expect(started?.traceId).toBe(root.spanContext().traceId);
  });

  it("should trace a MAKER stage's samples under the mission, its votes as events", async () => {
    const exporter = new InMemorySpanExporter();
    tracing = startTracing({ version: 'test', exporter, env: {} });
    const { output } = await runAndRead(maker);
    expect(output.status).toBe('succeeded');
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'invoke_workflow test')!;
    const samples = spans.filter(
      (s) =>
        s.name.startsWith('chat ') && String(s.attributes['maestro.caller']).includes('/maker/'),
    );
    expect(samples.length).toBeGreaterThanOrEqual(6);
    for (const s of samples) expect(parentOf(s)).toBe(root.spanContext().spanId);
    expect(root.events.filter((e) => e.name === 'maestro.vote')).toHaveLength(3);
  });

  it("should put a check's execute_tool span under its mission's span", async () => {
    const exporter = new InMemorySpanExporter();
    tracing = startTracing({ version: 'test', exporter, env: {} });
    const root = startMission('mx', 'checks');
    const r = await verify({ name: 'test', argv: ['true'] }, tmpdir(), {
      sandbox: 'none',
      warn: () => {},
      tracePath: 'mission/mx/stage/fix.implement/phase/implement',
    });
    expect(r.ok).toBe(true);
    endMission('mx', 'succeeded');
    await tracing.flush();
    const tool = exporter.getFinishedSpans().find((s) => s.name === 'execute_tool test')!;
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'test',
    });
    expect(parentOf(tool)).toBe(root.spanContext().spanId);
  });

  it('should record nothing and write no trace id when tracing is off', async () => {
    expect(trace.getTracer('maestro').startSpan('probe').isRecording()).toBe(false);
    const { events, output } = await runAndRead(example('hello.yaml'));
    expect(output.status).toBe('succeeded');
    expect(events.find((e) => e.type === 'mission.started')).not.toHaveProperty('traceId');
  });

  it('should export by OTLP/HTTP to a collector, and drop and count what an absent one cannot take', async () => {
    const bodies: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const port = (collector.address() as AddressInfo).port;
    try {
      tracing = startTracing({
        version: 'test',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
      });
      expect((await runAndRead(example('hello.yaml'))).output.status).toBe('succeeded');
      await tracing.shutdown();
      tracing = undefined;
      const payload = JSON.parse(bodies.join('')) as {
        resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
      };
      const names = payload.resourceSpans.flatMap((r) =>
        r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)),
      );
      expect(names).toContain('invoke_workflow hello');
      expect(names.filter((n) => n.startsWith('chat '))).toHaveLength(3);
    } finally {
      await new Promise((r) => collector.close(r));
    }
    // nobody listens there now: the mission succeeds, the spans are counted as dropped
    const t = startTracing({
      version: 'test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
    });
    expect((await runAndRead(example('hello.yaml'))).output.status).toBe('succeeded');
    const before = droppedSpans();
    await t.shutdown();
    expect(t.droppedSpans()).toBeGreaterThan(0);
    // the process's count, which the daemon's /metrics reads
    expect(droppedSpans() - before).toBe(t.droppedSpans());
  });
});
