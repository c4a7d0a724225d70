/** The workspace's front door: edits planned against a tree, applied as transactions, undone. */
export { fsTree, memoryTree, type EditTree } from './fsTree.js';
export { checkPath } from './paths.js';
export { editHash, planEdit, type PlanFailure, type PlanResult } from './planEdit.js';
export type {
  Confinement,
  Edit,
  EditFailure,
  EditFailureReason,
  EditFallback,
  EditPlan,
  EditStats,
  FileChange,
  PathRules,
} from './types.js';
export { Workspace, type Candidate } from './workspace.js';
export type { WorkspaceLog } from './journal.js';
