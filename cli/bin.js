#!/usr/bin/env node
// The `maestro` command: TypeScript run directly through tsx's loader, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
// Exit as soon as the command is done: a provider call that ignores its abort must not keep
// the process alive (pino flushes its transport on exit).
process.exit(await main(process.argv.slice(2)));
