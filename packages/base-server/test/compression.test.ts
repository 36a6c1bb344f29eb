import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import express from 'express';
import { installCompression, negotiateEncoding } from '../src/compression.js';

const big = JSON.stringify({ items: Array.from({ length: 400 }, (_, i) => `item-${i}`) });
const small = '{"sum":5}';

/** Raw bytes, undecoded, so a test sees exactly what was sent. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('response compression (one path for every express answer)', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const app = express();
    installCompression(app.response);
    app.get('/json/big', (_req, res) => void res.json(JSON.parse(big)));
    app.get('/json/small', (_req, res) => void res.type('application/json').send(small));
    // The fast path's way: writeHead with a header object, then end(body).
    app.get('/framed/big', (_req, res) => void res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(big.length) }).end(big));
    app.get('/framed/small', (_req, res) => void res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(small.length) }).end(small));
    // The SDK's way (toNodeHandler): writeHead with lower-case headers and no length, then chunks.
    app.get('/streamed', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(big.slice(0, 100));
      res.write(big.slice(100));
      res.end();
    });
    app.get('/sse', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end(`data: ${big}\n\n`);
    });
    app.get('/encoded', (_req, res) => {
      const gz = gzipSync(big);
      res.setHeader('Content-Encoding', 'gzip');
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Vary', 'Accept-Encoding');
      res.end(gz);
    });
    app.get('/no-transform', (_req, res) => void res.set('Cache-Control', 'no-transform').json(JSON.parse(big)));
    app.get('/png', (_req, res) => void res.type('image/png').send(Buffer.alloc(4096)));
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('gzips a large JSON answer for a client that accepts gzip, and it decodes to the same body', async () => {
    const res = await get(`${url}/json/big`, { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(gunzipSync(res.body).toString()).toBe(big);
  });

  it('sends a small JSON answer as it is, with its length and Vary, even to a client that accepts gzip', async () => {
    for (const path of ['/json/small', '/framed/small']) {
      const res = await get(`${url}${path}`, { 'accept-encoding': 'gzip, br' });
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers['content-length']).toBe(String(small.length));
      expect(res.headers.vary).toBe('Accept-Encoding');
      expect(res.body.toString()).toBe(small);
    }
  });

  it('compresses answers framed with writeHead(status, headers) and streamed answers of unknown length', async () => {
    const framed = await get(`${url}/framed/big`, { 'accept-encoding': 'br;q=0.5, gzip;q=0.9' });
    expect(framed.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(framed.body).toString()).toBe(big);
    const streamed = await get(`${url}/streamed`, { 'accept-encoding': 'br' });
    expect(streamed.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(streamed.body).toString()).toBe(big);
    const deflated = await get(`${url}/streamed`, { 'accept-encoding': 'deflate' });
    expect(inflateSync(deflated.body).toString()).toBe(big);
  });

  it('sends everything uncompressed to a client that accepts no encoding of ours', async () => {
    for (const accept of [undefined, 'identity', 'gzip;q=0, br;q=0', 'zstd']) {
      const res = await get(`${url}/json/big`, accept === undefined ? {} : { 'accept-encoding': accept });
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.toString()).toBe(big);
    }
  });

  it('never compresses SSE streams, pre-encoded answers, no-transform answers, HEAD or incompressible types', async () => {
    const sse = await get(`${url}/sse`, { 'accept-encoding': 'gzip' });
    expect(sse.headers['content-encoding']).toBeUndefined();
    expect(sse.body.toString()).toBe(`data: ${big}\n\n`);
    const encoded = await get(`${url}/encoded`, { 'accept-encoding': 'gzip' });
    expect(gunzipSync(encoded.body).toString()).toBe(big);
    expect(encoded.headers.vary).toBe('Accept-Encoding');
    const noTransform = await get(`${url}/no-transform`, { 'accept-encoding': 'gzip' });
    expect(noTransform.headers['content-encoding']).toBeUndefined();
    const head = await get(`${url}/json/big`, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(head.headers['content-encoding']).toBeUndefined();
    const png = await get(`${url}/png`, { 'accept-encoding': 'gzip' });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.body.length).toBe(4096);
  });

  it('negotiates by q-value, br first on a tie, and * for an encoding not named', () => {
    expect(negotiateEncoding('gzip, deflate, br')).toBe('br');
    expect(negotiateEncoding('gzip;q=1, br;q=0.8')).toBe('gzip');
    expect(negotiateEncoding('deflate')).toBe('deflate');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('br;q=0, *;q=0.5')).toBe('gzip');
    expect(negotiateEncoding('identity, zstd')).toBeUndefined();
    expect(negotiateEncoding(undefined)).toBeUndefined();
  });
});
