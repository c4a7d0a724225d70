/**
 * The package as a user gets it: dist/ built by `npm run build` (here only when it is older than
 * the sources; `npm ci` builds it through `prepare`), the bin run from it, and the tarball of
 * `npm pack` installed into an empty project, where plain node (no tsx) imports the root and
 * `maestro/testing` and tsc type-checks a consumer file against the installed declarations.
 * The install resolves the dependencies from the npm cache that `npm ci` filled (`--offline`), and
 * asks the registry only for what is not there (`--prefer-offline`).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/missions.js';
import { ensureBuilt, ROOT } from './build.js';

const exec = promisify(execFile);
const FIXTURES = join(ROOT, 'test/package/consumer');

/** This process's environment without what `npm test` set for this project (its prefix, its package). */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(cache|registry|cafile|userconfig|globalconfig|proxy|https_proxy)$/;
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.toLowerCase().startsWith('npm_') || keep.test(k),
    ),
  );
}

async function npmInstall(app: string, tarball: string): Promise<void> {
  const args = ['install', tarball, '--no-audit', '--no-fund', '--ignore-scripts'];
  const options = { cwd: app, env: npmEnv() };
  try {
    await exec('npm', [...args, '--offline'], options);
  } catch {
    await exec('npm', [...args, '--prefer-offline'], options);
  }
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('maestro bin (compiled, from dist/)', () => {
  it('should run the README first command, `npm start`, offline and print the result', async () => {
    const { stdout, stderr } = await exec('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, MAESTRO_STATE_DIR: tempDir() },
    });
    expect(stdout).toContain('### critic\nChildren fall and rise');
    // stderr is a pipe: progress in JSON lines, to the last one (the summary).
    const lines = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ type: 'run.summary', status: 'succeeded', calls: 3 });
    expect(lines.find((l) => l.type === 'mission.finished')).toMatchObject({ status: 'succeeded' });
  });

  it('should print the version of package.json from dist/cli', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await exec(process.execPath, ['cli/bin.js', '--version'], { cwd: ROOT });
    expect(stdout).toBe(`${pkg.version}\n`);
  });
});

describe('the packed tarball, installed into an empty project', () => {
  it('should import the root and maestro/testing under plain node, run a mission and a supervised tree, and type-check a consumer', async () => {
    const dir = tempDir();
    const { stdout: packed } = await exec(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      { cwd: ROOT, env: npmEnv() },
    );
    const [{ filename, files }] = JSON.parse(packed) as [
      { filename: string; files: { path: string }[] },
    ];
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts']));
    expect(paths).toEqual(expect.arrayContaining(['dist/actors/prompts/task.v1.md']));
    expect(paths).toEqual(expect.arrayContaining(['dist/inspector/page/index.html']));
    expect(
      paths.filter((p) => p.startsWith('test/') || (p.endsWith('.ts') && !p.endsWith('.d.ts'))),
    ).toEqual([]);

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    );
    await npmInstall(app, join(dir, filename));
    cpSync(FIXTURES, app, { recursive: true });
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          // Maestro's declarations are checked too, not only their use.
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['consumer.ts'],
      }),
    );

    // The root and ./testing must not load NATS: run with @nats-io/* out of the way.
    const nats = join(app, 'node_modules/@nats-io');
    renameSync(nats, `${nats}.away`);
    const { stdout } = await exec(process.execPath, ['run.mjs'], { cwd: app });
    renameSync(`${nats}.away`, nats);
    expect(JSON.parse(stdout)).toEqual({
      mission: { status: 'succeeded', result: expect.stringContaining('Children fall and rise') },
      codeMission: { status: 'succeeded', result: 'pong' },
      tree: { restarts: 1, decisions: ['restart'], newIncarnation: true, running: ['worker'] },
      machines: ['function', 'object', 'object', 'object'],
    });
    const { stdout: natsOut } = await exec(process.execPath, ['nats.mjs'], { cwd: app });
    expect(natsOut).toBe('NatsTransport function\n');

    // The bin, where tsx is not installed.
    expect(readdirSync(join(app, 'node_modules'))).not.toContain('tsx');
    const { stdout: help } = await exec(join(app, 'node_modules/.bin/maestro'), ['--help'], {
      cwd: app,
    });
    expect(help).toContain('Usage: maestro <command>');

    const tsc = join(ROOT, 'node_modules/.bin/tsc');
    const checked = await exec(tsc, ['-p', 'tsconfig.json'], { cwd: app }).catch(
      (e: { stdout: string }) => e,
    );
    expect(checked.stdout).toBe('');
  }, 300_000);
});
