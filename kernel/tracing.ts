/**
 * Maestro's OpenTelemetry spans, named by the GenAI semantic conventions: `invoke_workflow` per
 * mission, `invoke_agent <agent>` per agent call, `chat <model>` per provider call (with
 * `gen_ai.provider.name`, `gen_ai.request.model`, the token usage and `error.type`), and
 * `execute_tool` per verification command. Supervision decisions, votes and gates are events on
 * their mission's span. Off unless a tracer provider is registered (`runner/tracing.ts` does it
 * when `OTEL_EXPORTER_OTLP_ENDPOINT` is set): the API's no-op tracer then makes every call here
 * next to free. Prompts and answers go into spans only when asked (`captureContent`).
 *
 * Actors do not carry an async context across XState's boundaries, so a mission's span is found
 * by its path (`mission/<id>/...`), and every span of the mission is its child.
 */
import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

const missions = new Map<string, Span>();
let content = false;
let dropped = 0;

/** Spans the exporter could not export, in this process (the daemon's `/metrics` shows it). */
export function droppedSpans(): number {
  return dropped;
}

export function noteDroppedSpans(n: number): void {
  dropped += n;
}

export const tracer = () => trace.getTracer('maestro');

/** Whether prompts and answers may go into spans (`OTEL_…`'s content capture, off by default). */
export function captureContent(on?: boolean): boolean {
  if (on !== undefined) content = on;
  return content;
}

const missionOf = (path: string) => /^mission\/([^/]+)/.exec(path)?.[1];

/** The mission's span, started now, with its id and name; `end` it with `endMission`. */
export function startMission(id: string, name: string): Span {
  const span = tracer().startSpan(`invoke_workflow ${name}`, {
    kind: SpanKind.INTERNAL,
    attributes: {
      'gen_ai.operation.name': 'invoke_workflow',
      'maestro.mission.id': id,
      'maestro.mission.name': name,
    },
  });
  if (span.isRecording()) missions.set(id, span);
  return span;
}

export function endMission(id: string, status: string, error?: string): void {
  const span = missions.get(id);
  if (!span) return;
  missions.delete(id);
  span.setAttribute('maestro.mission.status', status);
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.setAttribute('error.type', status);
  }
  span.end();
}

/** The trace id of mission `id`'s span, when it is traced. */
export function missionTraceId(id: string): string | undefined {
  return missions.get(id)?.spanContext().traceId;
}

/** An event (a supervision decision, a vote, a gate) on mission `id`'s span. */
export function missionEvent(
  id: string,
  name: string,
  attributes: Record<string, string | number | boolean>,
): void {
  missions.get(id)?.addEvent(name, attributes);
}

/** The context to start a span of the mission `path` is in: its mission's span as the parent. */
export function missionContext(path: string): Context {
  const id = missionOf(path);
  const span = id === undefined ? undefined : missions.get(id);
  return span ? trace.setSpan(context.active(), span) : context.active();
}

export { SpanKind, SpanStatusCode, trace };
export type { Span };
