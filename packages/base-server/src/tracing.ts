// OpenTelemetry tracing: started only when OTEL_EXPORTER_OTLP_ENDPOINT is configured.
// Call startTracing() before the instrumented libraries (http, express, pg, ioredis) are imported,
// i.e. at the very top of an entry file, for auto-instrumentation to patch them.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Principal } from './security.js';

export interface TracingOptions {
  serviceName: string;
  endpoint?: string | undefined;
  /** For tests: export somewhere other than OTLP (spans are then exported one by one, unbatched). */
  exporter?: SpanExporter;
}

export interface Tracing {
  shutdown(): Promise<void>;
}

export function startTracing(options: TracingOptions): Tracing | undefined {
  if (!options.endpoint && !options.exporter) return undefined;
  const endpoint = options.endpoint?.replace(/\/$/, '');
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    ...(options.exporter
      ? { spanProcessors: [new SimpleSpanProcessor(options.exporter)] }
      : { traceExporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) }),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => req.url === '/health' || req.url === '/ready',
        // The caller names the HTTP server span too (`enduser.id`, as on the tool spans), so a trace of
        // any route says who made it. The auth middleware has set req.principal by the time the answer ends.
        applyCustomAttributesOnSpan: (span, request) => {
          const principal = (request as { principal?: Principal }).principal;
          if (principal?.authenticated) span.setAttribute('enduser.id', principal.keyName);
        },
      }),
      new ExpressInstrumentation(),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

let preloaded: Tracing | undefined;

/** Set by the `instrument` preload; createService then reuses it instead of starting a second SDK. */
export function setPreloadedTracing(tracing: Tracing): void {
  preloaded = tracing;
}

export function preloadedTracing(): Tracing | undefined {
  return preloaded;
}
