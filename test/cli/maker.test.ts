import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../cli/main.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

const paper = ['maker', 'kmin', '--error-rate', '0.0022', '--steps', '1048575', '--target', '0.95'];

describe('maestro maker kmin', () => {
  it("should print k_min, p_sub, p_full and the expected samples for the paper's case", async () => {
    const io = capture();
    expect(await main(paper, io)).toBe(0);
    expect(io.stderr).toEqual([]);
    expect(io.stdout.join('\n').split('\n')).toEqual([
      'k_min: 3',
      'p_sub: 0.99999998928',
      'p_full: 0.98882',
      'expected samples per step: 3.0133',
    ]);
  });

  it('should print one JSON object with --json', async () => {
    const io = capture();
    expect(
      await main([...paper, '--steps-per-agent', '1', '--red-flag-rate', '0.1', '--json'], io),
    ).toBe(0);
    expect(io.stdout).toHaveLength(1);
    const out = JSON.parse(io.stdout[0]!);
    expect(out).toMatchObject({
      errorRate: 0.0022,
      p: 1 - 0.0022,
      steps: 1048575,
      target: 0.95,
      stepsPerAgent: 1,
      redFlagRate: 0.1,
      k: 3,
    });
    expect(out.pSub).toBeCloseTo(0.99999998928, 11);
    expect(out.pFull).toBeCloseTo(0.98882, 5);
    expect(out.expectedSamplesPerStep).toBeCloseTo(3.01326 / 0.9, 4);
  });

  it('should need fewer votes per call when each call covers several steps', async () => {
    const io = capture();
    expect(
      await main(
        [
          'maker',
          'kmin',
          '--error-rate',
          '0.2',
          '--steps',
          '1000000',
          '--target',
          '0.9',
          '--steps-per-agent',
          '1000',
        ],
        io,
      ),
    ).toBe(0);
    expect(
      await main(
        ['maker', 'kmin', '--error-rate', '0.2', '--steps', '1000000', '--target', '0.9'],
        io,
      ),
    ).toBe(0);
    // ln((1-p)/p) = ln 0.25 = -1.38629; ln(expm1(0.1053605 · m/s)):
    // m = 1000: ln(1.05366e-4) = -9.15808 → ceil(6.606) = 7; m = 1: ln(1.05361e-7) = -16.06581 → ceil(11.589) = 12
    expect(io.stdout[0]!.split('\n')[0]).toBe('k_min: 7');
    expect(io.stdout[1]!.split('\n')[0]).toBe('k_min: 12');
  });

  it('should exit 2 naming the missing flags', async () => {
    let io = capture();
    expect(await main(['maker', 'kmin', '--steps', '10'], io)).toBe(2);
    expect(io.stderr).toEqual([
      'maestro maker kmin: missing required flags --error-rate, --target (try: maestro maker kmin --help)',
    ]);
    io = capture();
    expect(await main(['maker', 'kmin', '--steps', '10', '--error-rate', '0.1'], io)).toBe(2);
    expect(io.stderr).toEqual([
      'maestro maker kmin: missing required flag --target (try: maestro maker kmin --help)',
    ]);
  });

  it.each([
    [['--error-rate', 'abc'], "--error-rate: expected a number in [0, 1), got 'abc'"],
    [['--error-rate', '1'], "--error-rate: expected a number in [0, 1), got '1'"],
    [['--error-rate', ''], "--error-rate: expected a number in [0, 1), got ''"],
    [['--steps', '1.5'], "--steps: expected a positive integer, got '1.5'"],
    [['--steps', '0x10'], "--steps: expected a positive integer, got '0x10'"],
    [['--target', '1'], "--target: expected a number in (0, 1), got '1'"],
    [['--steps-per-agent', '0'], "--steps-per-agent: expected a positive integer, got '0'"],
    [
      ['--steps-per-agent', '2000000'],
      '--steps-per-agent: expected at most --steps (1048575), got 2000000',
    ],
    [['--red-flag-rate', '1'], "--red-flag-rate: expected a number in [0, 1), got '1'"],
  ])('should exit 2 for a bad value: %j', async (flags, message) => {
    const io = capture();
    const args = [...paper];
    for (let i = 0; i < flags.length; i += 2) {
      const at = args.indexOf(flags[i]!);
      if (at >= 0) args[at + 1] = flags[i + 1]!;
      else args.push(flags[i]!, flags[i + 1]!);
    }
    expect(await main(args, io)).toBe(2);
    expect(io.stderr).toEqual([`maestro: ${message}`]);
  });

  it('should exit 2 when the error rate leaves p <= 0.5', async () => {
    const io = capture();
    expect(
      await main(['maker', 'kmin', '--error-rate', '0.6', '--steps', '100', '--target', '0.9'], io),
    ).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr).toEqual([
      'maestro: error rate 0.6 leaves per-step success p = 0.4 <= 0.5: voting cannot converge',
    ]);
  });

  it('should print k_min 1 for a model that never errs', async () => {
    const io = capture();
    expect(
      await main(['maker', 'kmin', '--error-rate', '0', '--steps', '5', '--target', '0.99'], io),
    ).toBe(0);
    expect(io.stdout[0]!.split('\n')).toEqual([
      'k_min: 1',
      'p_sub: 1',
      'p_full: 1',
      'expected samples per step: 1',
    ]);
  });

  it('should print help, and refuse unknown subcommands, arguments and options', async () => {
    const io = capture();
    expect(await main(['maker', '--help'], io)).toBe(0);
    expect(io.stdout[0]).toContain('Usage: maestro maker <subcommand> [options]');
    expect(await main(['maker', 'kmin', '--help'], io)).toBe(0);
    expect(io.stdout[1]).toContain(
      'Usage: maestro maker kmin --error-rate E --steps S --target T [options]',
    );
    expect(await main(['help', 'maker', 'kmin'], io)).toBe(0);
    expect(io.stdout[2]).toContain('Usage: maestro maker kmin');
    expect(await main(['maker'], io)).toBe(2);
    expect(io.stdout[3]).toContain('Usage: maestro maker <subcommand>');
    expect(await main(['maker', 'kmax'], io)).toBe(2);
    expect(await main([...paper, 'extra'], io)).toBe(2);
    expect(await main([...paper, '--input', 'x'], io)).toBe(2);
    expect(await main(['validate', 'examples/hello.yaml', '--steps', '3'], io)).toBe(2);
    expect(io.stderr).toEqual([
      "maestro maker: unknown subcommand 'kmax' (try: maestro maker --help)",
      "maestro maker kmin: unexpected argument 'extra'",
      'maestro maker kmin: unknown flag --input',
      expect.stringMatching(
        /^Usage: maestro maker kmin --error-rate E --steps S --target T \[options\]\n\nOptions:\n {2}--error-rate E/,
      ),
      'maestro validate: unknown flag --steps',
      expect.stringMatching(
        /^Usage: maestro validate FILE \[--json\]\n\n\(maestro validate --help for more\)$/,
      ),
    ]);
  });
});
