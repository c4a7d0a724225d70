/**
 * `maestro maker kmin`: the MAKER voting margin k a task needs, from the model's error rate, the
 * number of steps and the wanted end-to-end success (see actors/maker/calibrator.ts).
 */
import {
  expectedSamplesPerStep,
  fullTaskSuccess,
  kMin,
  perStepSuccess,
} from '../actors/maker/calibrator.js';
import { commandHelp } from './help.js';
import { UsageError, type Io } from './io.js';

export interface MakerFlags {
  help?: boolean;
  json?: boolean;
  'error-rate'?: string;
  steps?: string;
  target?: string;
  'steps-per-agent'?: string;
  'red-flag-rate'?: string;
}

export function makerCommand(args: string[], flags: MakerFlags, io: Io): number {
  const [sub, ...rest] = args;
  if (sub === undefined) {
    io.out(commandHelp.maker!);
    return flags.help ? 0 : 2;
  }
  if (sub !== 'kmin')
    throw new UsageError(`maestro maker: unknown subcommand '${sub}' (try: maestro maker --help)`);
  if (flags.help) {
    io.out(commandHelp['maker kmin']!);
    return 0;
  }
  if (rest.length) throw new UsageError(`maestro maker kmin: unexpected argument '${rest[0]}'`);
  return kminCommand(flags, io);
}

function kminCommand(flags: MakerFlags, io: Io): number {
  const missing = (['error-rate', 'steps', 'target'] as const).filter(
    (f) => flags[f] === undefined,
  );
  if (missing.length) {
    const names = missing.map((f) => `--${f}`).join(', ');
    throw new UsageError(
      `maestro maker kmin: missing required flag${missing.length > 1 ? 's' : ''} ${names} (try: maestro maker kmin --help)`,
    );
  }
  const errorRate = number(
    'error-rate',
    flags['error-rate']!,
    (x) => x >= 0 && x < 1,
    'a number in [0, 1)',
  );
  const steps = number('steps', flags.steps!, isPositiveInteger, 'a positive integer');
  const target = number('target', flags.target!, (x) => x > 0 && x < 1, 'a number in (0, 1)');
  const stepsPerAgent =
    flags['steps-per-agent'] === undefined
      ? 1
      : number(
          'steps-per-agent',
          flags['steps-per-agent'],
          isPositiveInteger,
          'a positive integer',
        );
  if (stepsPerAgent > steps)
    throw new UsageError(
      `--steps-per-agent: expected at most --steps (${steps}), got ${stepsPerAgent}`,
    );
  const redFlagRate =
    flags['red-flag-rate'] === undefined
      ? 0
      : number(
          'red-flag-rate',
          flags['red-flag-rate'],
          (x) => x >= 0 && x < 1,
          'a number in [0, 1)',
        );

  const p = 1 - errorRate;
  const k = kMin(p, steps, target, stepsPerAgent);
  const pSub = perStepSuccess(p, k);
  const pFull = fullTaskSuccess(p, k, steps, stepsPerAgent);
  const samples = expectedSamplesPerStep(p, k, redFlagRate);
  if (flags.json) {
    io.out(
      JSON.stringify({
        errorRate,
        p,
        steps,
        target,
        stepsPerAgent,
        redFlagRate,
        k,
        pSub,
        pFull,
        expectedSamplesPerStep: samples,
      }),
    );
  } else {
    io.out(
      [
        `k_min: ${k}`,
        `p_sub: ${probability(pSub)}`,
        `p_full: ${probability(pFull)}`,
        `expected samples per step: ${fixed(samples, 4)}`,
      ].join('\n'),
    );
  }
  return 0;
}

const decimal = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function number(flag: string, text: string, ok: (x: number) => boolean, expected: string): number {
  const x = Number(text);
  if (!decimal.test(text.trim()) || !ok(x))
    throw new UsageError(`--${flag}: expected ${expected}, got '${text}'`);
  return x;
}

function isPositiveInteger(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 1;
}

/** Enough decimals to show three digits of 1 − x, the part that matters for a probability near 1. */
function probability(x: number): string {
  if (x === 1 || x === 0) return String(x);
  if (x < 0.1) return x.toPrecision(5);
  return x.toFixed(x > 0.9 ? Math.min(15, Math.max(5, Math.ceil(-Math.log10(1 - x)) + 3)) : 5);
}

function fixed(x: number, decimals: number): string {
  return String(Number(x.toFixed(decimals)));
}
