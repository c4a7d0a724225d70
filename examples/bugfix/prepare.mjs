#!/usr/bin/env node
// Copies the demo repository (examples/bugfix/repo) to DEST as a fresh git repository, so that
// the bugfix mission has a tree of its own to fix: node examples/bugfix/prepare.mjs [DEST]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dest = resolve(process.argv[2] ?? join(tmpdir(), 'maestro-bugfix-demo'));
const source = join(dirname(fileURLToPath(import.meta.url)), 'repo');
if (existsSync(dest)) rmSync(dest, { recursive: true, force: true });
cpSync(source, dest, { recursive: true });
const git = (...args) =>
  execFileSync('git', ['-c', 'user.name=demo', '-c', 'user.email=demo@localhost', ...args], {
    cwd: dest,
    stdio: 'ignore',
  });
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-q', '-m', 'the demo repository, with its bug');
console.log(dest);
