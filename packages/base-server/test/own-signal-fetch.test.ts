import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { fetchWithOwnSignal, requestsFollowing } from '../src/index.js';

// A real HTTP peer: /json answers at once; /stream sends one SSE event and keeps the stream open.
let server: Server;
let base: string;
const openStreams = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      openStreams.add(res);
      res.on('close', () => openStreams.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-peer': 'yes' });
    res.end(JSON.stringify({ ok: true, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of openStreams) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('fetchWithOwnSignal', () => {
  it('keeps one listener on a shared signal however many requests use it, where plain fetch adds one per request', async () => {
    const wrapped = fetchWithOwnSignal();
    const shared = new AbortController();
    for (let i = 0; i < 20; i++) {
      const res = await wrapped(`${base}/json?i=${i}`, { signal: shared.signal });
      expect(await res.json()).toEqual({ ok: true, url: `/json?i=${i}` });
    }
    const concurrent = await Promise.all(Array.from({ length: 30 }, () => wrapped(`${base}/json`, { signal: shared.signal })));
    expect(abortListeners(shared.signal)).toBe(1);
    expect(requestsFollowing(shared.signal)).toBe(30);
    await Promise.all(concurrent.map((r) => r.json()));
    expect(requestsFollowing(shared.signal)).toBe(0);
    expect(abortListeners(shared.signal)).toBe(1);

    // The contrast that makes the assertions above mean something: undici keeps its listeners.
    const plain = new AbortController();
    for (let i = 0; i < 5; i++) await (await fetch(`${base}/json`, { signal: plain.signal })).json();
    expect(abortListeners(plain.signal)).toBeGreaterThan(1);
  });

  it('keeps status and headers of the answer', async () => {
    const res = await fetchWithOwnSignal()(`${base}/json`, { signal: new AbortController().signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-peer')).toBe('yes');
    expect(res.headers.get('content-type')).toBe('application/json');
  });

  it('still aborts a streaming answer when the shared signal fires', async () => {
    const shared = new AbortController();
    const res = await fetchWithOwnSignal()(`${base}/stream`, { signal: shared.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n');
    expect(requestsFollowing(shared.signal)).toBe(1);

    const pending = reader.read();
    shared.abort(new Error('transport closed'));
    await expect(pending).rejects.toThrow();
    expect(requestsFollowing(shared.signal)).toBe(0);
  });

  it('forgets a stream the reader cancels', async () => {
    const shared = new AbortController();
    const res = await fetchWithOwnSignal()(`${base}/stream`, { signal: shared.signal });
    expect(requestsFollowing(shared.signal)).toBe(1);
    await res.body!.cancel();
    expect(requestsFollowing(shared.signal)).toBe(0);
  });

  it('forgets a request that failed, and passes an already-aborted signal straight through', async () => {
    const shared = new AbortController();
    await expect(fetchWithOwnSignal()('http://127.0.0.1:1/unreachable', { signal: shared.signal })).rejects.toThrow();
    expect(requestsFollowing(shared.signal)).toBe(0);

    shared.abort();
    await expect(fetchWithOwnSignal()(`${base}/json`, { signal: shared.signal })).rejects.toThrow();
  });
});
