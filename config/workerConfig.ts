/**
 * What `maestro worker` reads to serve providers: any file with a `providers:` map, such as the
 * mission file itself (its other sections are not checked here: the orchestrator checks them).
 */
import { z } from 'zod';
import { idSchema } from './mission.js';
import { providerConfigSchema } from './providers.js';

export const workerConfigSchema = z.looseObject({
  providers: z
    .record(idSchema, providerConfigSchema)
    .refine((p) => Object.keys(p).length > 0, 'expected at least 1 provider'),
});
export type WorkerConfig = z.output<typeof workerConfigSchema>;
