// Preload for full auto-instrumentation: `node --import @factory/base-server/instrument dist/index.js`.
// Tracing must start before http, express, pg and ioredis are loaded for their instrumentations to
// patch them; this module runs first, and only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Error tracking
// (Sentry, when SENTRY_DSN is set) starts here too, so that a crash while the app loads is reported.
import { register } from 'node:module';
import { readErrorTrackingSettings, readTelemetrySettings } from './config.js';
import { startTracing, setPreloadedTracing } from './tracing.js';
import { startErrorTracking } from './error-tracking.js';

const settings = readTelemetrySettings();
if (settings.endpoint) {
  // ESM modules are patched through import-in-the-middle's loader hook.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const tracing = startTracing({ serviceName: settings.serviceName ?? 'factory-service', endpoint: settings.endpoint });
  if (tracing) setPreloadedTracing(tracing);
}
const errorTracking = readErrorTrackingSettings();
if (errorTracking) await startErrorTracking(errorTracking);
