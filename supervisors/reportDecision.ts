import type { SupervisionRuntime } from './runtime.js';
import type { DecisionRecord } from './supervisorCore.js';

/** A decision goes to the log (OTP's keys as fields) and to the mission's event log. */
export function reportDecision(runtime: SupervisionRuntime, record: DecisionRecord): void {
  const level = record.action === 'shutdown' || record.action === 'kill' ? 'error' : record.action === 'restart' ? 'warn' : 'info';
  runtime.logger[level]({ ...record }, 'supervisor decision');
  runtime.events.append({ type: 'supervisor.decision', at: runtime.clock.now(), ...record });
}
