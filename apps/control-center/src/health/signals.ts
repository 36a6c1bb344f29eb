// What one poll means for incidents: the service's failure (status, cause, failing dependencies), or
// none when it is up, only warns, or is neutral (not configured).
import type { HealthSignal } from '../incidents/incident-tracker.js';
import type { ServicePoll } from './types.js';

export function incidentSignal(p: ServicePoll, silenced: boolean): HealthSignal {
  const base = { service: p.service, at: p.checkedAt, silenced };
  if (p.status === 'up' || p.status === 'not_configured') return { ...base, failure: null };
  if (p.status === 'down') return { ...base, failure: { status: 'down', cause: p.error ?? `${p.service} is down`, dependencies: [] } };
  const erring = Object.entries(p.checks).filter(([, c]) => c.status === 'error');
  const dependencies = erring.map(([d]) => d);
  if (p.status === 'not_ready') return { ...base, failure: { status: 'not_ready', cause: p.error ?? `${p.service} is not ready`, dependencies } };
  // Degraded (ready): only an erring optional dependency is a failure; a warning is not an outage.
  const [first] = erring;
  if (!first) return { ...base, failure: null };
  return { ...base, failure: { status: 'degraded', cause: `${first[0]} check failed: ${first[1].message ?? 'no message'}`, dependencies } };
}
