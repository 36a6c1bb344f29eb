// A local OpenAI-compatible embeddings server (POST /v1/embeddings) with deterministic vectors: a hashed
// bag of *concepts*, where a few synonyms share a concept ("car", "automobile", "vehicle"), so a query
// can be semantically related to a turn without sharing a word with it. Modes for failure tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

const SYNONYMS: Record<string, string> = {
  automobile: 'car',
  vehicle: 'car',
  sedan: 'car',
  vacation: 'holiday',
  leave: 'holiday',
  trip: 'holiday',
  physician: 'doctor',
  budget: 'money',
  cost: 'money',
  price: 'money',
};
const STOP = new Set(['a', 'an', 'the', 'to', 'of', 'in', 'on', 'is', 'are', 'was', 'my', 'i', 'we', 'our', 'and', 'for', 'every', 'at', 'with', 'it']);

const concepts = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w && !STOP.has(w))
    .map((w) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w))
    .map((w) => SYNONYMS[w] ?? w);

/** The fake's vector of a text: counts of hashed concepts, L2-normalised (never all zero). */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const v: number[] = Array.from({ length: dimensions }, () => 0);
  for (const c of concepts(text)) v[createHash('sha256').update(c).digest().readUInt32BE(0) % dimensions]! += 1;
  if (!v.some((x) => x !== 0)) v[0] = 1;
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

export const cosineDistance = (a: readonly number[], b: readonly number[]) => 1 - a.reduce((s, x, i) => s + x * b[i]!, 0);

export type EmbeddingsMode = 'ok' | 'hang' | 'fail' | 'garbage';

export interface FakeEmbeddings {
  url: string;
  mode: EmbeddingsMode;
  /** Inputs of every request, in order. */
  requests: string[][];
  /** Headers of the last request. */
  lastHeaders: IncomingMessage['headers'] | undefined;
  close(): Promise<void>;
}

export async function startFakeEmbeddings(dimensions: number): Promise<FakeEmbeddings> {
  const hanging = new Set<ServerResponse>();
  const state: FakeEmbeddings = { url: '', mode: 'ok', requests: [], lastHeaders: undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(raw) as { model: string; input: string[]; dimensions?: number };
      state.requests.push(body.input);
      state.lastHeaders = req.headers;
      if (state.mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (state.mode === 'fail') {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"overloaded"}}');
        return;
      }
      // Garbage: vectors of the wrong length.
      const dims = state.mode === 'garbage' ? Math.max(1, dimensions - 1) : dimensions;
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text, dims) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', model: body.model, data, usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}
