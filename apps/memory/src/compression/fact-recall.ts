// "Facts kept in the summary / facts stated": rolls a summariser over conversations whose facts are
// known, a few turns per call as repeated compressions do, and counts the facts the final summary still
// contains (case-insensitively). The test suite and the bench hold every summariser to the same corpus.
import type { Role } from '../db/schema.js';
import type { Summariser } from './summariser.js';

export interface FactConversation {
  id: string;
  turns: Array<{ role: Role; content: string }>;
  /** Strings the conversation states that a good summary still contains. */
  facts: string[];
}

export interface FactRecall {
  stated: number;
  kept: number;
  /** kept / stated */
  ratio: number;
  missed: Array<{ conversation: string; fact: string }>;
}

export async function measureFactRecall(
  summariser: Summariser,
  conversations: readonly FactConversation[],
  options: { maxTokens: number; turnsPerCall: number },
): Promise<FactRecall> {
  let stated = 0;
  let kept = 0;
  const missed: FactRecall['missed'] = [];
  for (const c of conversations) {
    let summary: string | null = null;
    for (let i = 0; i < c.turns.length; i += options.turnsPerCall) {
      const out = await summariser.summarise({ previousSummary: summary, turns: c.turns.slice(i, i + options.turnsPerCall), maxTokens: options.maxTokens });
      summary = out.summary;
    }
    const text = (summary ?? '').toLowerCase();
    for (const fact of c.facts) {
      stated++;
      if (text.includes(fact.toLowerCase())) kept++;
      else missed.push({ conversation: c.id, fact });
    }
  }
  return { stated, kept, ratio: stated === 0 ? 1 : kept / stated, missed };
}
