// A small circuit breaker for the LLM: after `failureThreshold` consecutive retryable failures it opens
// for `cooldownMs`; then one trial call is let through (half-open) and its outcome closes or reopens it.

export type BreakerState = 'closed' | 'open' | 'half_open';

export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
  constructor(readonly retryAfterMs: number) {
    super(`the LLM circuit breaker is open; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

export interface CircuitBreaker {
  readonly state: BreakerState;
  /** When an open breaker lets the next trial through (epoch ms), else undefined. */
  readonly openUntil: number | undefined;
  run<T>(fn: () => Promise<T>, isFailure?: (err: unknown) => boolean): Promise<T>;
}

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
  onStateChange?: (state: BreakerState, openUntil: number | undefined) => void;
}

export function createCircuitBreaker(options: BreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  let state: BreakerState = 'closed';
  let failures = 0;
  let openUntil: number | undefined;
  let trialInFlight = false;
  const set = (next: BreakerState) => {
    if (next === state) return;
    state = next;
    options.onStateChange?.(state, openUntil);
  };
  return {
    get state() {
      if (state === 'open' && openUntil !== undefined && now() >= openUntil) return 'half_open';
      return state;
    },
    get openUntil() {
      return state === 'open' ? openUntil : undefined;
    },
    async run(fn, isFailure = () => true) {
      if (state === 'open') {
        const wait = (openUntil ?? 0) - now();
        if (wait > 0 || trialInFlight) throw new CircuitOpenError(Math.max(wait, 1_000));
        trialInFlight = true;
        set('half_open');
      } else if (state === 'half_open' && trialInFlight) {
        throw new CircuitOpenError(1_000);
      } else if (state === 'half_open') {
        trialInFlight = true;
      }
      try {
        const result = await fn();
        failures = 0;
        openUntil = undefined;
        set('closed');
        return result;
      } catch (err) {
        if (isFailure(err)) {
          failures += 1;
          if (state === 'half_open' || failures >= options.failureThreshold) {
            openUntil = now() + options.cooldownMs;
            failures = 0;
            state = 'closed'; // force a transition event even when re-opening from half-open
            set('open');
          }
        }
        throw err;
      } finally {
        trialInFlight = false;
      }
    },
  };
}
