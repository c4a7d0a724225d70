/**
 * The daemon's `/metrics`: Prometheus text that a Prometheus parser reads, its counters moving
 * as missions run (calls, tokens and cost by provider and model, restarts by supervisor, gate
 * waits, fsync latency, missions by state), and behind the same read rule as the API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type ParsedMetric } from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import {
  call,
  daemonToken,
  daemonsPerTest,
  type ServedDaemon,
  until,
} from '../helpers/daemonServer.js';
import { eventually } from '../helpers/eventually.js';

const serve = daemonsPerTest();
const example = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../examples', name), 'utf8');

async function scrape(d: ServedDaemon, token?: string): Promise<ParsedMetric[]> {
  const res = await fetch(new URL('/metrics', d.server.url), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusTextFormat(await res.text());
}

const sum = (metrics: ParsedMetric[], name: string, labels: Record<string, string> = {}) =>
  (metrics.find((m) => m.name === name)?.metrics ?? [])
    .filter((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v))
    .reduce((n, x) => n + Number(x.value ?? x.count ?? 0), 0);

describe('GET /metrics', () => {
  it('should parse as Prometheus text, and its counters should move as missions run', async () => {
    const d = await serve({ metrics: {} });
    const before = await scrape(d);
    expect(sum(before, 'maestro_agent_calls_total')).toBe(0);
    expect(sum(before, 'maestro_missions', { state: 'succeeded' })).toBe(0);

    const hello = await call(d, 'POST', '/api/missions', {
      body: { source: example('hello.yaml'), id: 'hello' },
    });
    expect(hello.status).toBe(201);
    await until(d, 'hello', 'succeeded');
    const crash = await call(d, 'POST', '/api/missions', {
      body: { source: example('crash.yaml'), id: 'crash' },
    });
    expect(crash.status).toBe(201);
    await until(d, 'crash', 'succeeded');
    const gated = await call(d, 'POST', '/api/missions', {
      body: { source: example('approval.yaml'), id: 'gated' },
    });
    expect(gated.status).toBe(201);
    await until(d, 'gated', 'awaiting_approval');
    await call(d, 'POST', `/api/approvals/${encodeURIComponent('gated/plan/1')}`, {
      body: { decision: 'approve' },
    });
    await until(d, 'gated', 'succeeded');

    await eventually(async () => {
      const after = await scrape(d);
      // hello: a drafter and two reviewers on scripted providers
      expect(sum(after, 'maestro_agent_calls_total', { provider: 'poet', outcome: 'ok' })).toBe(1);
      expect(
        sum(after, 'maestro_agent_calls_total', { provider: 'reviewers', model: 'scripted' }),
      ).toBe(2);
      expect(
        sum(after, 'maestro_tokens_total', { provider: 'poet', kind: 'completion' }),
      ).toBeGreaterThan(0);
      // crash: a worker that fails is restarted by its stage
      expect(sum(after, 'maestro_agent_calls_total', { outcome: 'failed' })).toBeGreaterThan(0);
      expect(sum(after, 'maestro_restarts_total')).toBeGreaterThan(0);
      const restarts = after.find((m) => m.name === 'maestro_restarts_total')!.metrics;
      expect(restarts.every((r) => !r.labels!.supervisor!.includes('crash'))).toBe(true);
      expect(sum(after, 'maestro_missions', { state: 'succeeded' })).toBe(3);
      expect(sum(after, 'maestro_gate_wait_seconds')).toBe(1);
      expect(sum(after, 'maestro_event_log_fsync_seconds')).toBeGreaterThan(0);
      for (const m of [
        'maestro_agent_calls_total',
        'maestro_tokens_total',
        'maestro_cost_usd_total',
      ])
        expect(after.find((x) => x.name === m)?.type).toBe('COUNTER');
      expect(after.find((x) => x.name === 'maestro_gate_wait_seconds')?.type).toBe('HISTOGRAM');
      // tracing is off here: nothing dropped, but the counter is there for a scraper
      expect(after.find((x) => x.name === 'maestro_trace_spans_dropped_total')?.type).toBe(
        'COUNTER',
      );
    }, 10_000);
  });

  it('should be read under the read rule: refused without the token when reads need it', async () => {
    const d = await serve({ metrics: { authReads: true } });
    expect((await fetch(new URL('/metrics', d.server.url))).status).toBe(401);
    expect((await scrape(d, daemonToken)).length).toBeGreaterThan(0);
    const post = await fetch(new URL('/metrics', d.server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${daemonToken}` },
    });
    expect(post.status).toBe(405);
  });
});
