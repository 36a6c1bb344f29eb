// Response bodies built once per snapshot and reused by every request until the next sweep: the
// serialized JSON/HTML and, on the first request that accepts it, its gzip form.
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Entry {
  version: string;
  raw: Buffer;
  gzip?: Buffer;
}

export class BodyCache {
  private readonly entries = new Map<string, Entry>();

  /** The body for `key` at snapshot `version`, built by `build` when missing or stale. */
  get(key: string, version: string, build: () => string): Entry {
    let e = this.entries.get(key);
    if (!e || e.version !== version) {
      e = { version, raw: Buffer.from(build()) };
      this.entries.set(key, e);
    }
    return e;
  }

  send(req: IncomingMessage, res: ServerResponse, entry: Entry, contentType: string): void {
    res.setHeader('Content-Type', contentType);
    res.setHeader('Vary', 'Accept-Encoding');
    const accepts = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (accepts && entry.raw.length > 1024) {
      entry.gzip ??= gzipSync(entry.raw, { level: 6 });
      res.setHeader('Content-Encoding', 'gzip');
      res.setHeader('Content-Length', entry.gzip.length);
      res.end(entry.gzip);
      return;
    }
    res.setHeader('Content-Length', entry.raw.length);
    res.end(entry.raw);
  }
}
