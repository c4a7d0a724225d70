import type { SupervisionRuntime } from './runtime.js';
import type { DecisionRecord } from './effects.js';

/** A decision goes to the log (OTP's keys as fields) and to the mission's event log. */
export function reportDecision(runtime: SupervisionRuntime, record: DecisionRecord): void {
  const level = levelOf(record);
  runtime.logger[level]({ ...record }, 'supervisor decision');
  runtime.events.append({ type: 'supervisor.decision', at: runtime.clock.now(), ...record });
}

/** Giving up is an error; a restart or a kill is worth a warning; a normal end is routine. */
function levelOf(r: DecisionRecord): 'error' | 'warn' | 'info' | 'debug' {
  if (r.action === 'shutdown') return r.errorContext === 'auto_shutdown' ? 'info' : 'error';
  if (r.action === 'restart' || r.action === 'kill') return 'warn';
  return r.reason === 'normal' ? 'debug' : 'info';
}
