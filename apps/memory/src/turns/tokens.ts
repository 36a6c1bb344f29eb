// Token counting is a deterministic estimate, not a tokenizer: about four characters per token for
// English text (the figure OpenAI documents for its BPE vocabularies), plus four tokens of per-message
// framing for a turn. It is stable across processes and versions, which matters more here (budgets,
// thresholds, tests) than exactness; real token usage reported by an LLM is recorded separately.
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

export const TURN_OVERHEAD_TOKENS = 4;

export const turnTokens = (content: string): number => estimateTokens(content) + TURN_OVERHEAD_TOKENS;
