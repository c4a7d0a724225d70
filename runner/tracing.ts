/**
 * Turns tracing on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
 * is set: a tracer provider with a batch span processor and the OTLP/HTTP exporter, registered
 * globally, so `kernel/tracing.ts`'s spans are recorded and exported. Off otherwise, and then not
 * even loaded (the CLI imports this only when the variable is set). An endpoint that does not
 * answer never slows or fails a mission: spans are exported in the background, in batches, and
 * dropped when the exporter cannot keep up (`droppedSpans` counts those it failed to export).
 * Prompts and answers go into spans only with `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`.
 */
import { trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { captureContent, noteDroppedSpans } from '../kernel/tracing.js';

/** How long one export may take before its spans count as dropped. */
const EXPORT_TIMEOUT_MS = 3000;

export interface Tracing {
  /** Spans the exporter failed to export (an endpoint down, refusing, too slow). */
  droppedSpans(): number;
  /** Exports what is pending now. */
  flush(): Promise<void>;
  /** Exports what is pending, then stops. */
  shutdown(): Promise<void>;
}

export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Registers the provider; `exporter` replaces OTLP/HTTP (tests give an in-memory one). */
export function startTracing(
  options: { version: string; env?: NodeJS.ProcessEnv; exporter?: SpanExporter } = { version: '0' },
): Tracing {
  const env = options.env ?? process.env;
  captureContent(env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT === 'true');
  let dropped = 0;
  const exporter = counting(
    options.exporter ??
      new OTLPTraceExporter({ url: tracesUrl(env), timeoutMillis: EXPORT_TIMEOUT_MS }),
    (n) => {
      dropped += n;
    },
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? 'maestro',
      [ATTR_SERVICE_VERSION]: options.version,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  trace.setGlobalTracerProvider(provider);
  return {
    droppedSpans: () => dropped,
    // An exporter that cannot export never fails the run: what it could not take is counted.
    flush: () => provider.forceFlush().catch(() => undefined),
    shutdown: async () => {
      await provider.shutdown().catch(() => undefined);
      trace.disable();
    },
  };
}

/** Where spans go: the traces endpoint as given, or `<endpoint>/v1/traces` (the OTLP rule). */
function tracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/$/, '')}/v1/traces` : undefined;
}

/** `exporter`, telling `onDropped` how many spans each failed export lost. */
function counting(exporter: SpanExporter, onDropped: (n: number) => void): SpanExporter {
  return {
    export(spans: ReadableSpan[], done) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) {
          onDropped(spans.length);
          noteDroppedSpans(spans.length);
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush && { forceFlush: () => exporter.forceFlush!() }),
  };
}
