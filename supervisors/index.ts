export {
  BudgetNode,
  BudgetReservationError,
  worstCaseOfCall,
  type BudgetLimits,
  type BudgetUsage,
  type Charge,
  type Reservation,
} from './budget.js';
export {
  flagDefaults,
  normalizeChildSpec,
  normalizeFlags,
  SupervisorSpecError,
  validateChildren,
  type AutoShutdown,
  type Backoff,
  type ChildSpec,
  type RestartType,
  type Shutdown,
  type StartContext,
  type Strategy,
  type SupervisorFlags,
} from './childSpec.js';
export { parseChildExit, SHUTDOWN_EVENT, type ShutdownEvent } from './childExit.js';
export {
  addRestart,
  autoShutdownDue,
  backoffAttempt,
  backoffDelay,
  endsSubtree,
  exitKindOf,
  intensityExceeded,
  restartLimitReached,
  restartGroup,
  shouldRestart,
  type ExitKind,
} from './decisions.js';
export {
  createRuntime,
  nullSink,
  type ChildStartedFact,
  type EventSink,
  type SupervisionRuntime,
} from './runtime.js';
export {
  createSupervisor,
  supervisorMachine,
  type ChildExitedEvent,
  type SupervisorEvent,
  type SupervisorInput,
} from './supervisor.js';
export {
  SupervisorShutdownError,
  type DecisionRecord,
  type Effect,
  type Offender,
  type Phase,
  type SupervisorOutput,
} from './effects.js';
export { SupervisorCore } from './supervisorCore.js';
export type { CallResult, StartResult } from './childCalls.js';
export {
  NonRetryableError,
  saysShutdown,
  ShutdownExit,
  shutdownOutput,
  type ShutdownOutput,
} from './exits.js';
export {
  countChildren,
  deleteChild,
  getChildSpec,
  restartChild,
  startChild,
  terminateChild,
  whichChildren,
  type ChildInfo,
  type SupervisorRef,
} from './supervisorCalls.js';
