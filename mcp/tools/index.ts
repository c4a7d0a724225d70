/** Every tool of `maestro mcp`, in seed 001's groups and order: what `tools/list` gives. */
import type { McpContext } from '../context.js';
import type { McpTool } from '../tool.js';
import { consensusTools } from './consensusTools.js';
import { consultTools } from './consultTools.js';
import { coordinationTools } from './coordinationTools.js';
import { evidenceTools } from './evidenceTools.js';
import { missionTools } from './missionTools.js';
import { workflowTools } from './workflowTools.js';
import { workspaceTools } from './workspaceTools.js';

export function maestroTools(ctx: McpContext): McpTool[] {
  return [
    ...consultTools(ctx),
    ...consensusTools(ctx),
    ...workspaceTools(ctx),
    ...workflowTools(ctx),
    ...missionTools(ctx),
    ...coordinationTools(ctx),
    ...evidenceTools(ctx),
  ];
}
