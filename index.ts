/**
 * Maestro's front door: everything a program that embeds Maestro may import, named one by one.
 * Nothing here loads NATS (`@nats-io/*`): that is `maestro/nats`, loaded only by whoever needs it,
 * as the CLI does. Test helpers (a manual clock, scripted providers, a tree starter) are
 * `maestro/testing`. A name not listed here is internal and may change without notice.
 */

// Supervisors: OTP's supervisor as an XState machine.
export {
  createSupervisor,
  supervisorMachine,
  type ChildExitedEvent,
  type StartOptions,
  type SupervisorEvent,
  type SupervisorInput,
} from './supervisors/supervisor.js';
export {
  flagDefaults,
  normalizeChildSpec,
  normalizeFlags,
  validateChildren,
  type AutoShutdown,
  type Backoff,
  type ChildSpec,
  type RestartType,
  type Shutdown,
  type StartContext,
  type Strategy,
  type SupervisorFlags,
} from './supervisors/childSpec.js';
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
} from './supervisors/supervisorCalls.js';
export type { CallResult, StartResult } from './supervisors/childCalls.js';
export {
  createRuntime,
  nullSink,
  type EventSink,
  type SupervisionRuntime,
} from './supervisors/runtime.js';
export type {
  DecisionRecord,
  Offender,
  Phase,
  SupervisorOutput,
} from './supervisors/effects.js';
export { SHUTDOWN_EVENT, type ShutdownEvent } from './supervisors/childExit.js';
export type { ExitKind } from './supervisors/decisions.js';
export {
  BudgetNode,
  type BudgetLimits,
  type BudgetUsage,
  type Charge,
} from './supervisors/budget.js';
export { systemClock, type Clock } from './kernel/clock.js';

// Missions: a config (YAML, JSON or an object) run under a supervision tree.
export { runMission, type RunOptions, type RunResult } from './runner/runMission.js';
export type { MissionObserver } from './runner/missionObserver.js';
export { loadMissionFile } from './config/defineMission.js';
export type { LoadOptions } from './config/loader.js';
export {
  agentSchema,
  missionSchema,
  stageSchema,
  type AgentConfig,
  type ApprovalConfig,
  type BudgetConfig,
  type MissionConfig,
  type MissionConfigInput,
  type StageConfig,
} from './config/mission.js';
export {
  providerConfigSchema,
  type CliProviderConfig,
  type OpenAIProviderConfig,
  type ProviderConfig,
  type ScriptedProviderConfig,
  type ScriptedResponse,
  type SimulatedProviderConfig,
} from './config/providers.js';
export { toJsonSchema } from './config/jsonSchema.js';
export type { LoggedEvent } from './log/eventLog.js';
export type {
  CompletionRequest,
  CompletionResult,
  Provider,
  Usage,
} from './actors/providers/provider.js';

// Machines: the statecharts a mission is made of.
export {
  missionMachine,
  type MissionFailure,
  type MissionInput,
  type MissionOutput,
  type MissionResume,
  type StageResult,
} from './machines/mission.js';
export {
  makerVoteMachine,
  type DrawSample,
  type MakerVoteEvent,
  type MakerVoteInput,
  type Sample,
  type SampleRequest,
  type VoteResult,
  type VoteSettings,
} from './machines/makerVote.js';
export {
  geniusLoopMachine,
  type GeniusLoopEvent,
  type GeniusLoopInput,
  type GeniusLoopOutput,
} from './machines/geniusLoop.js';

// Transport: the narrow interface agents talk through, and the in-process one.
export {
  MemoryTransport,
  type MemoryTransportOptions,
} from './transport/memoryTransport.js';
export type {
  Json,
  Message,
  RequestOptions,
  SubscribeOptions,
  Subscription,
  Transport,
  TransportStatus,
} from './transport/transport.js';

// Errors: MaestroError → UserError (a user's mistake) | SystemError (ours), then one class a failure.
export {
  BudgetExceededError,
  ConfigError,
  MaestroError,
  SystemError,
  UserError,
  type BudgetKind,
  type ConfigIssue,
} from './kernel/errors.js';
export { SupervisorSpecError } from './supervisors/childSpec.js';
export { SupervisorShutdownError } from './supervisors/effects.js';
export { NonRetryableError, ShutdownExit } from './supervisors/exits.js';
export { BudgetReservationError } from './supervisors/budget.js';
export {
  InvalidPayloadError,
  InvalidSubjectError,
  NoRespondersError,
  PayloadTooLargeError,
  RequestTimeoutError,
  TransportClosedError,
  TransportError,
} from './transport/errors.js';
export { LogWriteError } from './log/logWriteError.js';
export { StateDirLockedError } from './log/stateLock.js';
export {
  ProviderAbortedError,
  ProviderError,
  ProviderHttpError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
} from './actors/providers/errors.js';
export { PromptNotFoundError } from './actors/promptLibrary.js';
export { MaxStepsError, VoteExhaustedError } from './machines/makerTask.js';

// Missions in code, the registries user code extends Maestro with, the daemon's client, and
// the mission log's types.
export { DEFINE_MISSION_FILE, defineMission } from './config/defineMission.js';
export type {
  BuiltinProviderConfig,
  ProviderConfigInput,
  ProviderKinds,
  RegisteredProviderConfig,
} from './config/providers.js';
export type { StepTaskConfig, StepTaskKinds } from './config/maker.js';
export {
  registerProviderKind,
  type ProviderDeps,
  type ProviderKindConfig,
  type ProviderKindDefinition,
} from './actors/providers/providerKinds.js';
export { registerStepTask, type StepTaskDefinition } from './actors/tasks/registry.js';
export type { StepParse, StepParseFailure, StepTask } from './actors/tasks/stepTask.js';
export {
  registerOracle,
  registerRedFlagger,
  type Oracle,
  type RedFlagCheck,
  type RedFlagContext,
} from './actors/maker/redFlag.js';
export {
  DaemonRequestError,
  MaestroClient,
  resolveDaemon,
  type EventsOptions,
} from './daemon/daemonClient.js';
export {
  LOG_FORMAT,
  missionLogEventSchema,
  parseLogLine,
  type LogEventOf,
  type LoggedEventOf,
  type MissionLogEvent,
  type MissionLogEventType,
} from './log/missionLogEvent.js';
export {
  runSandboxed,
  probeSandbox,
  verify,
  parseTestCounts,
  SandboxUnavailableError,
  CommandNotArgvError,
  type SandboxRun,
  type SandboxResult,
  type VerifyCommand,
  type VerifyResult,
  type TestCounts,
} from './sandbox/index.js';
export {
  planEdit,
  fsTree,
  memoryTree,
  Workspace,
  type Candidate,
  type Confinement,
  type Edit,
  type EditPlan,
  type EditFailure,
  type FileChange,
  type PathRules,
} from './workspace/index.js';
export { candidateFromCli, type CliCandidate } from './actors/coding/cliCandidate.js';
