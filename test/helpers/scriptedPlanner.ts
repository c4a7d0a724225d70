/**
 * A planner agent over the real call path for tests: a scripted provider served on a
 * MemoryTransport, the requests it got recorded, and a phase runner calling it.
 */
import { pino } from 'pino';
import type { LooseMissionEvent } from './looseEvent.js';
import { createPhaseRunner, type PhaseRunnerOptions } from '../../actors/planning/phaseCall.js';
import type { CompletionRequest, Provider } from '../../actors/providers/index.js';
import { ScriptedProvider } from '../../actors/providers/index.js';
import { serveProviders } from '../../actors/providerService.js';
import { ManualClock } from '../../kernel/clock.js';
import { agentSchema } from '../../config/mission.js';
import { scriptedProviderSchema, type ScriptedResponse } from '../../config/providers.js';
import { BudgetNode } from '../../supervisors/index.js';
import { MemoryTransport } from '../../transport/index.js';

export type ScriptEntry = string | ScriptedResponse | Record<string, unknown>;

/** Objects other than `{ text }` / `{ error }` entries are answered as their JSON. */
function entry(e: ScriptEntry): ScriptedResponse {
  if (typeof e === 'string') return e;
  if ('text' in e || 'error' in e) return e as ScriptedResponse;
  return JSON.stringify(e);
}

export function scriptedPlanner(script: ScriptEntry[], options: Partial<PhaseRunnerOptions> = {}) {
  const clock = new ManualClock();
  const transport = new MemoryTransport({ clock });
  const scripted = new ScriptedProvider(
    'p',
    scriptedProviderSchema.parse({
      kind: 'scripted',
      responses: script.map(entry),
      onExhausted: 'error',
    }),
    clock,
  );
  const requests: CompletionRequest[] = [];
  const provider: Provider = {
    id: 'p',
    kind: 'scripted',
    complete: (request, signal) => {
      requests.push(request);
      return scripted.complete(request, signal);
    },
  };
  const service = serveProviders(transport, [provider], pino({ level: 'silent' }));
  const events: LooseMissionEvent[] = [];
  const budget = BudgetNode.root('m', {}, clock).child('plan');
  const runner = createPhaseRunner({
    transport,
    agent: { ...agentSchema.parse({ id: 'planner', provider: 'p' }), timeoutMs: 5000 },
    budget,
    path: 'm/plan',
    events: { append: (e) => events.push(e) },
    ...options,
  });
  return { clock, transport, service, requests, events, budget, runner };
}
