/** A mission's own life: submitted, started, resumed, its stages, and how it ended. */
import { z } from 'zod';
import { failureSchema, usageSchema } from './common.js';

export const missionSubmitted = z.object({
  type: z.literal('mission.submitted'),
  name: z.string().optional(),
  /** The config as submitted (validated when it was), with its secrets masked. */
  config: z.unknown(),
  input: z.string().optional(),
  /** The salt of the mission's call keys: a resumed mission asks the same keys again. */
  keySalt: z.string().optional(),
});

export const missionStarted = z.object({
  type: z.literal('mission.started'),
  name: z.string(),
  stages: z.array(z.string()),
  /** The mission span's trace id, when it is traced (OpenTelemetry; since 0.2). */
  traceId: z.string().optional(),
});

export const missionResumed = z.object({
  type: z.literal('mission.resumed'),
  /** The resumed run's trace id, when it is traced (since 0.2). */
  traceId: z.string().optional(),
  stage: z.number(),
  attempt: z.number(),
  done: z.array(z.string()),
});

export const missionStartFailed = z.object({
  type: z.literal('mission.start_failed'),
  /** The error's class name. */
  error: z.string(),
  message: z.string(),
});

export const missionFinished = z.object({
  type: z.literal('mission.finished'),
  status: z.string(),
  result: z.string().optional(),
  error: failureSchema.optional(),
  usage: usageSchema.optional(),
});

/** A daemon stopping: the mission stopped in order and resumes at the next start. */
export const missionSuspended = z.object({
  type: z.literal('mission.suspended'),
  usage: usageSchema.optional(),
});

/** The state directory took no writes (full disk): the mission was suspended, and resumed here. */
export const missionWriteFault = z.object({
  type: z.literal('mission.write_fault'),
  code: z.string(),
  message: z.string(),
  at: z.string(),
});

export const stageEntered = z.object({
  type: z.literal('stage.entered'),
  stage: z.string(),
  index: z.number(),
  attempt: z.number(),
  agents: z.array(z.string()).optional(),
  /** The step task of a MAKER stage. */
  maker: z.unknown().optional(),
});

export const stageFinished = z.object({
  type: z.literal('stage.finished'),
  stage: z.string(),
  index: z.number(),
  /** Absent in logs written before attempts were counted: 1. */
  attempt: z.number().optional(),
  answers: z.number().optional(),
  output: z.string().optional(),
  usage: usageSchema.optional(),
});

export const missionEvents = [
  missionSubmitted,
  missionStarted,
  missionResumed,
  missionStartFailed,
  missionFinished,
  missionSuspended,
  missionWriteFault,
  stageEntered,
  stageFinished,
] as const;
