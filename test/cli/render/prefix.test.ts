import { describe, expect, it } from 'vitest';
import { prefixed, reasonText } from '../../../cli/render/prefix.js';

describe('prefixed', () => {
  it.each([
    [['maestro', "unknown command 'launch'"], "maestro: unknown command 'launch'"],
    [
      ['maestro', "maestro replay: no event log for 'nope'"],
      "maestro replay: no event log for 'nope'",
    ],
    [['maestro', 'maestro: already said'], 'maestro: already said'],
    [['maestro', 'maestrodon is not us'], 'maestro: maestrodon is not us'],
    [
      ['maestro', 'mission failed', "budget_exceeded: samples at 'mission/b1'"],
      "maestro: mission failed: budget_exceeded: samples at 'mission/b1'",
    ],
    [['maestro', 'mission failed', 'mission failed: twice'], 'maestro: mission failed: twice'],
    [['error', 'error: error: once is enough'], 'error: once is enough'],
    [
      ['maestro', 'mission failed', 'budget_exceeded: budget_exceeded: samples'],
      'maestro: mission failed: budget_exceeded: samples',
    ],
    [['maestro', 'http 500: http 5000'], 'maestro: http 500: http 5000'],
    [['error', 'boom'], 'error: boom'],
    [['maestro daemon', 'maestro daemon: cannot reach nats'], 'maestro daemon: cannot reach nats'],
    [['mission m1 failed', ''], 'mission m1 failed'],
    [['', 'bare'], 'bare'],
    [['only'], 'only'],
  ])('should read %j as %j', (parts, text) => {
    expect(prefixed(...parts)).toBe(text);
  });
});

describe('reasonText', () => {
  it.each([
    [
      {
        reason: 'budget_exceeded',
        message: "budget_exceeded: samples at 'mission/b1' (used 1 of 1)",
      },
      "budget_exceeded: samples at 'mission/b1' (used 1 of 1)",
    ],
    [{ reason: 'stopped', message: 'interrupted' }, 'stopped: interrupted'],
    [
      {
        reason: 'reached_max_restart_intensity',
        message:
          "stage 'research' gave up: reached_max_restart_intensity; last crash: agent/a: http 500",
      },
      "stage 'research' gave up: reached_max_restart_intensity; last crash: agent/a: http 500",
    ],
    [{ reason: 'error', message: 'error: boom' }, 'error: boom'],
    // A word that only contains the reason is not the reason.
    [{ reason: 'stop', message: 'stopped by api' }, 'stop: stopped by api'],
    [
      { reason: 'non_retryable', message: "provider 'p': http 401: bad key" },
      "non_retryable: provider 'p': http 401: bad key",
    ],
    // The provider's message first when it already says why (non-retryable, in its own spelling).
    [
      {
        reason: 'non_retryable',
        message: "provider 'p': http 401: bad key (non-retryable: http_401)",
      },
      "provider 'p': http 401: bad key (non-retryable: http_401)",
    ],
    [{ reason: 'shutdown', message: '' }, 'shutdown'],
    [{ message: 'only a message' }, 'only a message'],
  ])('should read %j as %j', (error, text) => {
    expect(reasonText(error)).toBe(text);
  });
});
