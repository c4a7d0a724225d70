#!/usr/bin/env node
// `maestro` from the TypeScript sources, through tsx's loader: development and the tests that
// spawn the CLI, which must run the current sources, never a stale dist/ (cli/bin.js runs that).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exit(await main(process.argv.slice(2)));
