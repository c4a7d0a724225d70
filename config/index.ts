export { ManualClock, systemClock, type Clock } from '../kernel/clock.js';
export {
  BudgetExceededError,
  ConfigError,
  errorMessage,
  formatConfigIssue,
  MaestroError,
  SystemError,
  UserError,
  type BudgetKind,
  type ConfigIssue,
} from '../kernel/errors.js';
export { toJsonSchema } from './jsonSchema.js';
export {
  checkConfigFile,
  checkConfigText,
  loadConfigFile,
  parseConfigText,
  type CheckOptions,
  type ConfigReport,
  type LoadOptions,
} from './loader.js';
export { createLogger, type LoggerOptions } from '../kernel/logger.js';
export {
  agentSchema,
  budgetSchema,
  loggedMissionSchema,
  missionSchema,
  stageSchema,
  type AgentConfig,
  type BudgetConfig,
  type MissionConfig,
  type MissionConfigInput,
  type StageConfig,
} from './mission.js';
export { missionRules, STAGE_PLACEHOLDERS, STEP_PLACEHOLDERS } from './missionRules.js';
export { missionWarnings } from './missionWarnings.js';
export { providerConfigSchema, type ProviderConfig } from './providers.js';
export { redact, redactText, registerSecret } from '../kernel/secrets.js';
