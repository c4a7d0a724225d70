/** What a supervisor keeps about one child: its spec, where it is in its life, its restarts. */
import type { NormalizedChildSpec } from './childSpec.js';

export interface ChildRecord {
  spec: NormalizedChildSpec;
  status: 'pending' | 'running' | 'stopping' | 'terminated';
  refId?: string;
  /** The ref of its latest incarnation, kept after it ended, so a report can name its session. */
  lastRef?: string;
  restarts: number;
  startedAt: number;
  backoffAttempt: number;
}
