// A fetch for long-lived HTTP clients that hand the same AbortSignal to every request.
//
// The MCP SDK's StreamableHTTPClientTransport passes one connection-wide signal to each fetch, and
// Node's fetch (undici) adds an abort listener to the signal it is given that goes away only when the
// signal fires or the request is garbage-collected. A client reused for thousands of calls therefore
// piles listeners on one signal (MaxListenersExceededWarning past 1,500, and memory that only a GC
// pass returns). This wrapper gives every request its own controller, forwards the shared signal's
// abort to it through a single listener per shared signal, and forgets each request as soon as its
// response body is finished, failed or cancelled.

type Fetch = typeof fetch;

// One abort listener per shared signal, however many requests are in flight on it: it aborts the
// controllers of the requests still running. A request leaves the set as soon as its body is done.
const inFlight = new WeakMap<AbortSignal, Set<AbortController>>();

function runningOn(shared: AbortSignal): Set<AbortController> {
  const known = inFlight.get(shared);
  if (known) return known;
  const running = new Set<AbortController>();
  shared.addEventListener(
    'abort',
    () => {
      for (const c of running) c.abort(shared.reason);
      running.clear();
    },
    { once: true },
  );
  inFlight.set(shared, running);
  return running;
}

/** How many requests made through fetchWithOwnSignal with this shared signal are still running. */
export const requestsFollowing = (shared: AbortSignal): number => inFlight.get(shared)?.size ?? 0;

export function fetchWithOwnSignal(base: Fetch = fetch): Fetch {
  return async (input, init) => {
    const shared = init?.signal;
    if (!shared || shared.aborted) return base(input, init);
    const running = runningOn(shared);
    const own = new AbortController();
    running.add(own);
    const release = () => void running.delete(own);

    let response: Response;
    try {
      response = await base(input, { ...init, signal: own.signal });
    } catch (err) {
      release();
      throw err;
    }
    if (!response.body) {
      release();
      return response;
    }
    // The body may still be streaming (an SSE answer): keep forwarding aborts until it ends.
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            release();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (err) {
          release();
          controller.error(err);
        }
      },
      cancel(reason) {
        release();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
