// Summarisers behind one interface. `openai-compatible` speaks POST {base}/chat/completions (OpenAI,
// Ollama, vLLM, llama.cpp, LM Studio); `extractive` is a deterministic offline summariser used when no LLM
// is configured, so the whole system works with nothing external.
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineExceeded, withDeadline } from '@factory/base-server';
import type { Role } from '../db/schema.js';
import { estimateTokens } from '../turns/tokens.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { scoreSentence, splitSentences } from './sentence-scoring.js';

export interface SummaryInput {
  previousSummary: string | null;
  turns: ReadonlyArray<{ role: Role; content: string }>;
  /** The summary must fit in this many (estimated) tokens. */
  maxTokens: number;
}

export interface SummaryOutput {
  summary: string;
  inputTokens: number;
  outputTokens: number;
}

export interface Summariser {
  readonly provider: 'openai-compatible' | 'extractive';
  readonly model: string;
  summarise(input: SummaryInput, signal?: AbortSignal): Promise<SummaryOutput>;
}

/** An LLM failure; `retryable` says whether another attempt can help (timeouts, 429, 5xx, network). */
export class LlmError extends Error {
  override readonly name = 'LlmError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'http_4xx' | 'http_5xx' | 'http_429' | 'invalid_response',
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Cuts text to at most `maxTokens` estimated tokens, at a word boundary when one is near. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const maxChars = maxTokens * 4;
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > maxChars * 0.8 ? cut.slice(0, space) : cut}…`;
}

/** Longest sentence the extractive summariser keeps whole (longer ones are cut at a word boundary). */
const MAX_SENTENCE_CHARS = 300;

/**
 * Deterministic and offline: every sentence of the new turns and every line of the previous summary
 * competes for the budget by how many facts it carries (see scoreSentence: names, numbers, dates,
 * places and identifiers, decisions, commitments, open questions), the newer winning a tie. The kept
 * lines (`role: sentence`) stay in conversation order; bare pleasantries and repeats are dropped. The
 * same input always gives the same summary.
 */
export function createExtractiveSummariser(): Summariser {
  return {
    provider: 'extractive',
    model: 'extractive-v2',
    async summarise({ previousSummary, turns, maxTokens }) {
      const lines: string[] = previousSummary ? previousSummary.split('\n').filter(Boolean) : [];
      for (const t of turns) {
        for (const sentence of splitSentences(t.content)) lines.push(`${t.role}: ${truncateToTokens(sentence, MAX_SENTENCE_CHARS / 4)}`);
      }
      const inputTokens = estimateTokens(previousSummary ?? '') + turns.reduce((n, t) => n + estimateTokens(t.content), 0);
      const seen = new Set<string>();
      const candidates: Array<{ line: string; at: number; score: number }> = [];
      lines.forEach((line, at) => {
        const text = line.replace(/^(?:user|assistant|system|tool): /, '');
        const key = text.toLowerCase();
        if (seen.has(key)) return;
        seen.add(key);
        const score = scoreSentence(text);
        if (score >= 0) candidates.push({ line, at, score });
      });
      // Best first, newer first on a tie; take every line that still fits (a long one may be skipped for shorter ones).
      candidates.sort((x, y) => y.score - x.score || y.at - x.at);
      const budget = maxTokens * 4; // characters
      const kept: typeof candidates = [];
      let used = 0;
      for (const c of candidates) {
        const cost = c.line.length + (kept.length > 0 ? 1 : 0);
        if (used + cost > budget) continue;
        kept.push(c);
        used += cost;
      }
      kept.sort((x, y) => x.at - y.at);
      const summary = truncateToTokens(kept.map((c) => c.line).join('\n'), maxTokens);
      return { summary, inputTokens, outputTokens: estimateTokens(summary) };
    },
  };
}

export interface OpenAiCompatibleOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  model: string;
  timeoutMs: number;
  retries: number;
  breaker: CircuitBreaker;
  onError?: (err: LlmError) => void;
  fetch?: typeof fetch;
}

const SYSTEM_PROMPT = [
  'You maintain a rolling summary of a conversation between an AI agent and its users.',
  'You get the previous summary (possibly empty) and the turns that happened since.',
  'Write the new summary: keep every fact, decision, name, number, open question and commitment that may matter later;',
  'drop pleasantries and repetition. Write plain sentences or short bullet points, third person, no preamble.',
].join(' ');

function renderTurns(turns: SummaryInput['turns']): string {
  return turns.map((t) => `[${t.role}] ${t.content}`).join('\n');
}

export function createOpenAiCompatibleSummariser(options: OpenAiCompatibleOptions): Summariser {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const doFetch = options.fetch ?? fetch;

  async function callOnce(input: SummaryInput, signal?: AbortSignal): Promise<SummaryOutput> {
    const body = {
      model: options.model,
      temperature: 0,
      max_tokens: input.maxTokens,
      messages: [
        { role: 'system', content: `${SYSTEM_PROMPT} The summary must stay under ${input.maxTokens} tokens.` },
        {
          role: 'user',
          content: `Previous summary:\n${input.previousSummary ?? '(none yet)'}\n\nNew turns:\n${renderTurns(input.turns)}\n\nWrite the updated summary.`,
        },
      ],
    };
    let res: Response;
    try {
      res = await withDeadline(
        options.timeoutMs,
        (bounded) =>
          doFetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
            body: JSON.stringify(body),
            signal: bounded,
          }),
        { signal },
      );
    } catch (err) {
      if (err instanceof DeadlineExceeded) throw new LlmError(`LLM did not answer within ${options.timeoutMs} ms`, 'timeout', true, { cause: err });
      throw new LlmError(`LLM request failed: ${err instanceof Error ? err.message : String(err)}`, 'network', true, { cause: err });
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 200);
      if (res.status === 429) throw new LlmError(`LLM rate limited (429): ${text}`, 'http_429', true);
      if (res.status >= 500 || res.status === 408) throw new LlmError(`LLM answered ${res.status}: ${text}`, 'http_5xx', true);
      throw new LlmError(`LLM rejected the request with ${res.status}: ${text}; check LLM_BASE_URL, LLM_API_KEY and LLM_MODEL`, 'http_4xx', false);
    }
    let json: { choices?: Array<{ message?: { content?: unknown } }>; usage?: { prompt_tokens?: number; completion_tokens?: number } };
    try {
      json = (await res.json()) as typeof json;
    } catch (err) {
      throw new LlmError('LLM answered with invalid JSON', 'invalid_response', true, { cause: err });
    }
    const content = json.choices?.[0]?.message?.content;
    if (typeof content !== 'string' || content.trim() === '') throw new LlmError('LLM answer has no message content', 'invalid_response', true);
    const summary = truncateToTokens(content.trim(), input.maxTokens);
    return {
      summary,
      inputTokens: json.usage?.prompt_tokens ?? estimateTokens(body.messages.map((m) => m.content).join('\n')),
      outputTokens: json.usage?.completion_tokens ?? estimateTokens(summary),
    };
  }

  return {
    provider: 'openai-compatible',
    model: options.model,
    async summarise(input, signal) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await options.breaker.run(
            () => callOnce(input, signal),
            (err) => err instanceof LlmError && err.retryable,
          );
        } catch (err) {
          if (err instanceof LlmError) options.onError?.(err);
          const retry = err instanceof LlmError && err.retryable && attempt < options.retries && !signal?.aborted;
          if (!retry) throw err;
          // Exponential backoff with full jitter: 250 ms, 500 ms, 1 s, ... (random part up to the step).
          const step = 250 * 2 ** attempt;
          await sleep(step / 2 + Math.random() * step);
        }
      }
    },
  };
}
