// Timeouts that always fire: the one way a Factory service bounds an outbound call in time.
//
// `AbortSignal.timeout()` is not enough on Node 20. Its timer holds the signal only through a weak
// reference and is cleared by a FinalizationRegistry once the signal is collected; a timeout signal
// combined through `AbortSignal.any()` is referenced by nothing else (the combined signal keeps its
// sources weakly), so after a garbage collection a request to a hanging peer is never aborted and ends
// only when undici's own 300 s headers timeout fires. (Reproduced on Node 20.20: 20 fetches to a
// server that never answers, `AbortSignal.any([AbortSignal.timeout(200), other])`, `gc()` every
// 20 ms: none aborted within 3 s. The test "withDeadline ... under forced GC" keeps that repro.)
// Here the timer is a plain referenced `setTimeout` whose closure holds the controller until it fires
// or the call ends, and the call is raced against it, so a call that ignores its signal ends on time.
import { Agent, type Dispatcher } from 'undici';

/** The call did not finish within its bound. `name` is 'TimeoutError', as for a DOMException timeout. */
export class DeadlineExceeded extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

export interface DeadlineOptions {
  /** A caller's signal: its abort ends the call too (with the signal's reason). */
  signal?: AbortSignal | undefined;
  /** The DeadlineExceeded message (default "did not finish within <ms> ms"). */
  message?: string;
}

/**
 * Runs `fn` with a signal that aborts after `timeoutMs` (or when `options.signal` aborts), and
 * settles by then even when `fn` ignores its signal: it rejects with DeadlineExceeded (or the caller's
 * abort reason). The timer is cleared as soon as the call settles.
 */
export async function withDeadline<T>(timeoutMs: number, fn: (signal: AbortSignal) => Promise<T> | T, options: DeadlineOptions = {}): Promise<T> {
  const controller = new AbortController();
  const parent = options.signal;
  let timer: NodeJS.Timeout | undefined;
  let onParentAbort: (() => void) | undefined;
  const ended = new Promise<never>((_, reject) => {
    const end = (reason: unknown) => {
      controller.abort(reason);
      reject(reason);
    };
    timer = setTimeout(() => end(new DeadlineExceeded(options.message ?? `did not finish within ${timeoutMs} ms`, timeoutMs)), timeoutMs);
    if (parent?.aborted) end(parent.reason);
    else if (parent) {
      onParentAbort = () => end(parent.reason);
      parent.addEventListener('abort', onParentAbort, { once: true });
    }
  });
  try {
    return await Promise.race([Promise.resolve().then(() => fn(controller.signal)), ended]);
  } finally {
    clearTimeout(timer);
    if (onParentAbort) parent?.removeEventListener('abort', onParentAbort);
  }
}

export interface BoundedAgentOptions {
  /** Connect, headers and body timeouts (ms): the same bound the caller's deadline uses. */
  timeoutMs: number;
  /** Sockets per origin (default: unlimited, as undici's own default). */
  connections?: number;
  /** Idle keep-alive sockets are closed after this long (default 4 s, undici's default). */
  keepAliveTimeoutMs?: number;
}

/**
 * An undici dispatcher whose own connect, headers and body timeouts equal the caller's bound, so a
 * request is bounded twice: by the caller's deadline and by the socket layer itself.
 */
export function boundedAgent(options: BoundedAgentOptions): Agent {
  return new Agent({
    connect: { timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    ...(options.connections ? { connections: options.connections } : {}),
  });
}

export type { Agent, Dispatcher };
