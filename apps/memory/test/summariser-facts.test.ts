// Summaries keep the facts: the extractive summariser on the committed corpus of conversations with
// their known facts (test/fixtures/fact-corpus.json) keeps at least 0.9 of them at the default budget,
// and the LLM summariser is held to the same corpus and the same measure (here with the local fake LLM).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from '@factory/base-server';
import { measureFactRecall, type FactConversation } from '../src/compression/fact-recall.js';
import { createLlm } from '../src/compression/llm.js';
import { createExtractiveSummariser } from '../src/compression/summariser.js';
import { createMemoryMetrics } from '../src/memory-metrics.js';
import { estimateTokens } from '../src/turns/tokens.js';
import { quietLogger, startFakeLlm, testConfig, type FakeLlm } from './helpers.js';

const corpus = JSON.parse(readFileSync(new URL('./fixtures/fact-corpus.json', import.meta.url), 'utf8')) as { conversations: FactConversation[] };
const DEFAULT_BUDGET = testConfig({}).SUMMARY_MAX_TOKENS;

describe('extractive summariser keeps facts', () => {
  it('keeps at least 0.9 of the stated facts at the default budget, compressing 4 turns at a time', async () => {
    const recall = await measureFactRecall(createExtractiveSummariser(), corpus.conversations, { maxTokens: DEFAULT_BUDGET, turnsPerCall: 4 });
    expect(recall.stated).toBeGreaterThanOrEqual(50);
    expect(recall.missed).toEqual([]);
    expect(recall.ratio).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps the fact after a pleasantry instead of the first sentence', async () => {
    const out = await createExtractiveSummariser().summarise({
      previousSummary: null,
      turns: [
        { role: 'user', content: 'Hello! Thanks for having me.' },
        { role: 'assistant', content: 'Nice to meet you. I will remember that your deploy window is Friday in eu-west-1.' },
      ],
      maxTokens: 20,
    });
    expect(out.summary).toBe('assistant: I will remember that your deploy window is Friday in eu-west-1.');
  });

  it('is deterministic, stays within the budget, and keeps the newer of equally worthy sentences', async () => {
    const s = createExtractiveSummariser();
    const turns = Array.from({ length: 40 }, (_, i) => ({ role: 'user' as const, content: `Fact number ${i} is important to remember. Details follow here.` }));
    const a = await s.summarise({ previousSummary: null, turns, maxTokens: 100 });
    expect(await s.summarise({ previousSummary: null, turns, maxTokens: 100 })).toEqual(a);
    expect(estimateTokens(a.summary)).toBeLessThanOrEqual(100);
    const lines = a.summary.split('\n');
    expect(lines.at(-1)).toBe('user: Fact number 39 is important to remember.');
    expect(lines).not.toContain('user: Fact number 0 is important to remember.');
    expect(lines).not.toContain('user: Details follow here.');
    const next = await s.summarise({ previousSummary: a.summary, turns: [{ role: 'assistant', content: 'We decided to ship on Monday.' }], maxTokens: 100 });
    expect(next.summary.endsWith('assistant: We decided to ship on Monday.')).toBe(true);
  });
});

describe('LLM summariser on the same corpus (fake LLM)', () => {
  let llm: FakeLlm;
  beforeAll(async () => {
    llm = await startFakeLlm();
  });
  afterAll(() => llm.close());

  it('gets every stated fact in its prompts and is scored on what it answers', async () => {
    const config = testConfig({ LLM_BASE_URL: llm.url, LLM_RETRIES: '0' });
    const { summariser } = createLlm(config, { metrics: createMemoryMetrics(new Registry()), logger: quietLogger().logger });
    expect(summariser.provider).toBe('openai-compatible');
    const recall = await measureFactRecall(summariser, corpus.conversations, { maxTokens: config.SUMMARY_MAX_TOKENS, turnsPerCall: 4 });
    const prompts = llm.requests.map((r) => r.messages.map((m) => m.content).join('\n').toLowerCase()).join('\n');
    for (const c of corpus.conversations) for (const fact of c.facts) expect(prompts).toContain(fact.toLowerCase());
    expect(llm.requests[0]?.messages[0]?.content).toContain('keep every fact, decision, name, number, open question and commitment');
    // The fake answers "LLM summary #n of k new turns": the measure reads the summary, not the input.
    expect(recall).toMatchObject({ stated: 54, kept: 0, ratio: 0 });
  });
});
