// A fetch for long-lived HTTP clients that hand the same AbortSignal to every request.
//
// The MCP SDK's StreamableHTTPClientTransport passes one connection-wide signal to each fetch, and
// Node's fetch (undici) adds an abort listener to the signal it is given that goes away only when the
// signal fires or the request is garbage-collected. A client reused for thousands of calls therefore
// piles listeners on one signal (MaxListenersExceededWarning past 1,500, and memory that only a GC
// pass returns). This wrapper gives every request its own controller, forwards the shared signal's
// abort to it, and removes that forwarding listener as soon as the response body is finished,
// failed or cancelled, so the shared signal never holds more listeners than requests in flight.

type Fetch = typeof fetch;

export function fetchWithOwnSignal(base: Fetch = fetch): Fetch {
  return async (input, init) => {
    const shared = init?.signal;
    if (!shared || shared.aborted) return base(input, init);
    const own = new AbortController();
    const forward = () => own.abort(shared.reason);
    shared.addEventListener('abort', forward, { once: true });
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      shared.removeEventListener('abort', forward);
    };

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
