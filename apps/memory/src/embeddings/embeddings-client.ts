// An OpenAI-compatible embeddings endpoint: POST {base}/embeddings {model, input: [...], dimensions}
// (OpenAI, Ollama, vLLM, llama.cpp, LM Studio, TEI). Every answer is checked: one vector per input, in
// input order, each of the configured length and made of finite numbers; anything else is an error.
import { DeadlineExceeded, withDeadline } from '@factory/base-server';

export type EmbeddingsErrorKind = 'timeout' | 'network' | 'http_4xx' | 'http_429' | 'http_5xx' | 'invalid_response';

/** An embeddings failure; `retryable` says whether another attempt can help (timeouts, 429, 5xx, network, garbage). */
export class EmbeddingsError extends Error {
  override readonly name = 'EmbeddingsError';
  constructor(
    message: string,
    readonly kind: EmbeddingsErrorKind,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EmbeddingsClient {
  readonly model: string;
  readonly dimensions: number;
  /** One vector per text, in order; bounded by `timeoutMs` (or the call's own). */
  embed(texts: readonly string[], options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<number[][]>;
}

export interface EmbeddingsClientOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  model: string;
  dimensions: number;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Longest text sent for one turn (about 2,000 tokens; embedding models take 512–8,192). */
export const MAX_EMBEDDED_CHARS = 8_000;

export function createEmbeddingsClient(options: EmbeddingsClientOptions): EmbeddingsClient {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const doFetch = options.fetch ?? fetch;
  const { model, dimensions } = options;

  function parse(json: unknown, count: number): number[][] {
    const data = (json as { data?: unknown } | null)?.data;
    if (!Array.isArray(data) || data.length !== count) {
      throw new EmbeddingsError(`embeddings answer has ${Array.isArray(data) ? data.length : 'no'} vectors for ${count} inputs`, 'invalid_response', true);
    }
    const out: number[][] = new Array(count);
    data.forEach((item: { index?: unknown; embedding?: unknown }, position) => {
      const index = typeof item?.index === 'number' ? item.index : position;
      const v = item?.embedding;
      if (!Number.isInteger(index) || index < 0 || index >= count || out[index] !== undefined) {
        throw new EmbeddingsError('embeddings answer has a missing or repeated index', 'invalid_response', true);
      }
      if (!Array.isArray(v) || v.length !== dimensions || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new EmbeddingsError(
          `embeddings answer is not a vector of ${dimensions} finite numbers (got ${Array.isArray(v) ? `${v.length} values` : typeof v}); check EMBEDDINGS_MODEL and EMBEDDINGS_DIMENSIONS`,
          'invalid_response',
          true,
        );
      }
      if (v.every((x) => x === 0)) throw new EmbeddingsError('embeddings answer has an all-zero vector', 'invalid_response', true);
      out[index] = v as number[];
    });
    return out;
  }

  return {
    model,
    dimensions,
    async embed(texts, call = {}) {
      if (texts.length === 0) return [];
      const timeoutMs = call.timeoutMs ?? options.timeoutMs;
      const body = JSON.stringify({ model, dimensions, encoding_format: 'float', input: texts.map((t) => t.slice(0, MAX_EMBEDDED_CHARS)) });
      let res: Response;
      let json: unknown;
      try {
        // The deadline covers the body too: a server that sends headers and then stalls is a timeout.
        [res, json] = await withDeadline(
          timeoutMs,
          async (bounded) => {
            const r = await doFetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
              body,
              signal: bounded,
            });
            if (!r.ok) return [r, (await r.text().catch(() => '')).slice(0, 200)] as const;
            return [r, await r.json().catch((err: unknown) => Promise.reject(new EmbeddingsError('embeddings answer is not JSON', 'invalid_response', true, { cause: err })))] as const;
          },
          call.signal ? { signal: call.signal } : {},
        );
      } catch (err) {
        if (err instanceof EmbeddingsError) throw err;
        if (err instanceof DeadlineExceeded) throw new EmbeddingsError(`embeddings endpoint did not answer within ${timeoutMs} ms`, 'timeout', true, { cause: err });
        throw new EmbeddingsError(`embeddings request failed: ${err instanceof Error ? err.message : String(err)}`, 'network', true, { cause: err });
      }
      if (!res.ok) {
        const text = String(json);
        if (res.status === 429) throw new EmbeddingsError(`embeddings endpoint rate limited (429): ${text}`, 'http_429', true);
        if (res.status >= 500 || res.status === 408) throw new EmbeddingsError(`embeddings endpoint answered ${res.status}: ${text}`, 'http_5xx', true);
        throw new EmbeddingsError(
          `embeddings endpoint rejected the request with ${res.status}: ${text}; check EMBEDDINGS_BASE_URL, EMBEDDINGS_API_KEY, EMBEDDINGS_MODEL and EMBEDDINGS_DIMENSIONS`,
          'http_4xx',
          false,
        );
      }
      return parse(json, texts.length);
    },
  };
}
