import { afterEach, describe, expect, it, vi } from 'vitest';
import { mulberry32 } from '../../actors/providers/random.js';
import { createRedFlagger } from '../../actors/maker/redFlag.js';
import { expectedSamplesExact, perStepSuccess } from '../../actors/maker/calibrator.js';
import type { DrawSample } from '../../machines/makerVote.js';
import { voteHarness } from '../helpers/voteHarness.js';

/** A judge for tests: the text is the answer; FLAG is malformed; anything over 20 chars is too long. */
const judge = createRedFlagger<unknown>({ maxChars: 20 }, (text) =>
  text === 'FLAG' ? { error: 'not an answer' } : { answer: text, nextState: null },
);

/** A model that is right with probability p, else gives the one dominant wrong answer (the worst case). */
function model(p: number, seed: number, flagRate = 0): DrawSample {
  const random = mulberry32(seed);
  return async () => {
    const r = random();
    if (r < flagRate) return { text: 'FLAG' };
    return { text: random() < p ? 'right' : 'wrong' };
  };
}

describe('MAKER vote statechart (first-to-ahead-by-k)', () => {
  it.each([
    [0.9, 2, 0],
    [0.8, 3, 0],
    [0.7, 4, 0],
    [0.85, 3, 0.2],
  ])(
    'should match the closed forms for p=%s, k=%s, red-flag rate %s (per-step success and samples per step, 4,000 seeded votes)',
    async (p, k, flagRate) => {
      const h = voteHarness({
        settings: { k, maxSamples: 1000 },
        draw: model(p, 42, flagRate),
        judge,
      });
      const n = 4000;
      let right = 0;
      let samples = 0;
      for (let i = 0; i < n; i++) {
        const r = await h.run(i);
        if (r.answer === 'right') right++;
        samples += r.samples;
      }
      const pSub = perStepSuccess(p, k);
      const se = Math.sqrt((pSub * (1 - pSub)) / n);
      expect(Math.abs(right / n - pSub)).toBeLessThan(4 * se + 1e-3);
      const expected = expectedSamplesExact(p, k, flagRate);
      expect(Math.abs(samples / n - expected) / expected).toBeLessThan(0.05);
    },
  );

  it('should draw the first k samples in parallel and decide on them when they agree', async () => {
    const started: number[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const draw: DrawSample = async (req) => {
      started.push(req.index);
      await gate;
      return { text: 'same' };
    };
    const h = voteHarness({ settings: { k: 3, maxSamples: 10 }, draw, judge });
    const pending = h.run(0);
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    release();
    const r = await pending;
    expect(r).toMatchObject({
      outcome: 'decided',
      answer: 'same',
      margin: 3,
      samples: 3,
      tallies: { same: 3 },
    });
  });

  it('should discard red-flagged samples, count them by reason, and never vote them', async () => {
    const texts = ['FLAG', 'x'.repeat(30), 'a', 'FLAG', 'a'];
    const draw: DrawSample = async (req) => ({ text: texts[req.index]! });
    const h = voteHarness({ settings: { k: 2, firstBatch: 1, maxSamples: 10 }, draw, judge });
    const r = await h.run(0);
    expect(r).toMatchObject({
      outcome: 'decided',
      answer: 'a',
      samples: 5,
      flagged: { parse: 2, too_long: 1 },
      tallies: { a: 2 },
    });
  });

  it('should end exhausted with no answer when no answer gets k ahead within maxSamples, even with a plurality', async () => {
    const texts = ['a', 'b', 'a', 'b', 'a'];
    const draw: DrawSample = async (req) => ({ text: texts[req.index]! });
    const h = voteHarness({ settings: { k: 2, maxSamples: 5 }, draw, judge });
    const r = await h.run(0);
    expect(r.outcome).toBe('exhausted');
    expect(r.answer).toBeUndefined();
    expect(r.parse).toBeUndefined();
    expect(r).toMatchObject({ samples: 5, margin: 1, tallies: { a: 3, b: 2 } });
  });

  it('should keep drawing through ties until one answer leads by k', async () => {
    const texts = ['a', 'b', 'a', 'b', 'b', 'b'];
    const draw: DrawSample = async (req) => ({ text: texts[req.index]! });
    const h = voteHarness({ settings: { k: 2, maxSamples: 10 }, draw, judge });
    const r = await h.run(0);
    expect(r).toMatchObject({
      outcome: 'decided',
      answer: 'b',
      samples: 6,
      margin: 2,
      tallies: { b: 4, a: 2 },
    });
  });

  it('should discard a sample the oracle rejects', async () => {
    const texts = ['bad', 'good', 'good'];
    const draw: DrawSample = async (req) => ({ text: texts[req.index]! });
    const h = voteHarness({
      settings: { k: 2, firstBatch: 1, maxSamples: 10 },
      draw,
      judge,
      oracle: (p) => p.answer !== 'bad',
    });
    const r = await h.run(0);
    expect(r).toMatchObject({ answer: 'good', samples: 3, flagged: { oracle: 1 } });
  });

  it('should use the first temperature for the first sample and the other for the rest', async () => {
    const temps: (number | undefined)[] = [];
    const draw: DrawSample = async (req) => {
      temps.push(req.temperature);
      return { text: req.index === 1 ? 'b' : 'a' };
    };
    const h = voteHarness({
      settings: { k: 2, maxSamples: 10, temperatures: { first: 0, rest: 0.1 } },
      draw,
      judge,
    });
    await h.run(0);
    expect(temps).toEqual([0, 0.1, 0.1, 0.1]);
  });

  it('should fail, not vote, when a sample call throws', async () => {
    const draw: DrawSample = async (req) => {
      if (req.index === 1) throw new Error('provider down');
      return { text: 'a' };
    };
    const h = voteHarness({ settings: { k: 2, maxSamples: 10 }, draw, judge });
    await expect(h.run(0)).rejects.toThrow('provider down');
    expect(h.results).toEqual([]);
  });

  it.each([
    ['a first batch larger than k', { k: 2, firstBatch: 4, maxSamples: 10 }],
    ['batches of more than one', { k: 2, firstBatch: 1, batch: 3, maxSamples: 10 }],
  ])(
    'should decide the next vote when a sample of a decided vote fails late (%s)',
    async (_, settings) => {
      // A vote decided with samples still in flight; one of them then fails (a lost sample timing
      // out over NATS). It is no vote of the next one, and must not silence the next one's samples.
      let failLate: (err: Error) => void = () => {};
      const late = new Promise<never>((_, reject) => (failLate = reject));
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => (release = r));
      const signals: AbortSignal[] = [];
      const draw: DrawSample = async (req, signal) => {
        if (req.step === 0 && req.index >= 2) return late;
        if (req.step === 1) {
          signals.push(signal);
          await gate;
        }
        return { text: 'a' };
      };
      const h = voteHarness({ settings, draw, judge });
      expect(await h.run(0)).toMatchObject({ step: 0, outcome: 'decided', answer: 'a' });
      const next = h.run(1);
      await Promise.resolve();
      failLate(new Error('agent call timed out'));
      await new Promise((r) => setImmediate(r));
      expect(signals.length).toBeGreaterThan(0);
      expect(signals.map((s) => s.aborted)).toEqual(signals.map(() => false));
      release();
      await expect(next).resolves.toMatchObject({ step: 1, outcome: 'decided', answer: 'a' });
    },
  );

  describe('after the vote stops', () => {
    afterEach(() => vi.restoreAllMocks());

    /** Draws that wait for `release`, recording each call's signal. */
    function heldDraws(answer: (index: number) => Promise<string>) {
      const signals: AbortSignal[] = [];
      const draw: DrawSample = async (req, signal) => {
        signals.push(signal);
        return { text: await answer(req.index) };
      };
      return { draw, signals };
    }

    const stoppedActorWarnings = (warn: ReturnType<typeof vi.spyOn>) =>
      warn.mock.calls.filter((args: unknown[]) =>
        String(args[0]).includes('was sent to stopped actor'),
      );

    it('should abort the samples in flight and send nothing when the vote is stopped mid-sample', async () => {
      const warn = vi.spyOn(console, 'warn');
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => (release = r));
      const { draw, signals } = heldDraws(async () => {
        await gate;
        return 'a';
      });
      const h = voteHarness({ settings: { k: 3, maxSamples: 10 }, draw, judge });
      void h.run(0);
      await Promise.resolve();
      expect(signals).toHaveLength(3);
      h.actor.stop();
      expect(signals.map((s) => s.aborted)).toEqual([true, true, true]);
      release();
      await new Promise((r) => setImmediate(r));
      expect(stoppedActorWarnings(warn)).toEqual([]);
      expect(h.results).toEqual([]);
    });

    it('should fail the vote, not leave a rejection unhandled, when the judge throws on a sample', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const throwing = (text: string, state: unknown, tokens?: number) => {
          if (text === 'boom') throw new Error('parser bug on boom');
          return judge(text, state, tokens);
        };
        const draw: DrawSample = async (req) => ({ text: req.index === 1 ? 'boom' : 'a' });
        const h = voteHarness({ settings: { k: 2, maxSamples: 10 }, draw, judge: throwing });
        await expect(h.run(0)).rejects.toThrow('parser bug on boom');
        await new Promise((r) => setImmediate(r));
        expect(unhandled).toEqual([]);
        expect(h.results).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('should send nothing for samples that answer after another sample failed the vote', async () => {
      const warn = vi.spyOn(console, 'warn');
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => (release = r));
      const { draw, signals } = heldDraws(async (index) => {
        if (index === 0) throw new Error('provider down');
        await gate;
        return 'a';
      });
      const h = voteHarness({ settings: { k: 3, maxSamples: 10 }, draw, judge });
      await expect(h.run(0)).rejects.toThrow('provider down');
      expect(signals.map((s) => s.aborted)).toEqual([true, true, true]);
      release();
      await new Promise((r) => setImmediate(r));
      expect(stoppedActorWarnings(warn)).toEqual([]);
    });
  });
});
