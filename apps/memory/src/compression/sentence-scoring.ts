// How much a sentence is worth keeping in a summary: the extractive summariser keeps the sentences that
// carry facts an agent needs later (names, numbers, dates and times, places and identifiers, decisions,
// commitments, preferences, open questions) and drops pleasantries. Deterministic, no model.

/** Splits text into sentences (at . ! ? followed by a space and a capital, digit or quote, and at line breaks). */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\n+/)) {
    const flat = line.replace(/\s+/g, ' ').trim();
    if (!flat) continue;
    // A full stop after a single letter or a common abbreviation does not end a sentence.
    const parts = flat.split(/(?<=[.!?])\s+(?=["'([]?[A-Z0-9])/);
    let carry = '';
    for (const p of parts) {
      const s = carry ? `${carry} ${p}` : p;
      if (/\b(?:[A-Z]|e\.g|i\.e|etc|vs|Mr|Mrs|Ms|Dr|St|No)\.$/.test(p)) {
        carry = s;
        continue;
      }
      out.push(s);
      carry = '';
    }
    if (carry) out.push(carry);
  }
  return out;
}

const WEEKDAYS = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun';
const MONTHS = 'january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec';
const DATE = new RegExp(`\\b(?:${WEEKDAYS}|${MONTHS}|today|tomorrow|tonight|yesterday|next week|next month|end of (?:the )?(?:day|week|month|quarter)|q[1-4])\\b|\\b\\d{4}-\\d{2}-\\d{2}\\b|\\b\\d{1,2}:\\d{2}\\b|\\b\\d{1,2}(?:am|pm)\\b`, 'i');
const NUMBER = /\d/;
/** Identifiers and places in technical talk: eu-west-1, DATABASE_URL, v2.4, api.example.com, /var/log, #123. */
const IDENTIFIER = /\b[a-z]+-[a-z]+-\d\b|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\bv?\d+\.\d+(?:\.\d+)?\b|\b[\w-]+\.(?:com|org|net|io|dev|internal)\b|(?:^|\s)\/[\w./-]+|#\d+|@[\w-]+|\b[\w.+-]+@[\w-]+\.[\w.]+\b|\$\s?\d/;
const DECISION = /\b(?:decided|decide|decision|agreed|agree|chose|choose|chosen|going with|go with|settled on|approved|approve|rejected|switch(?:ed)? to|migrat(?:e|ed|ing) to|instead of|will use|we use|the plan is|final)\b/i;
const COMMITMENT = /\b(?:i will|i'll|we will|we'll|you will|you'll|i can|let me|promise|remember|remind|don't forget|must|need to|needs to|have to|has to|deadline|due|by (?:the )?(?:end|next|monday|tuesday|wednesday|thursday|friday)|follow up|schedule|scheduled|book|booked|send|sent|assign(?:ed)?|owner|responsible)\b/i;
const PREFERENCE = /\b(?:my name is|call me|i am|i'm|i live|i work|works? (?:at|for|on)|i prefer|prefers?|likes?|hates?|allergic|always|never|only|budget|limit|password|account|address|phone|birthday)\b/i;
const QUESTION_WORD = /^(?:what|which|who|whom|whose|when|where|why|how|should|could|can|do|does|did|is|are|will|would|shall)\b/i;
const PLEASANTRY =
  /^(?:hi|hello|hey|thanks|thank you|thx|great|sure|ok|okay|nice to meet you|good (?:morning|afternoon|evening)|you're welcome|glad|happy to help|no problem|sounds good|perfect|cool|awesome|of course|certainly|got it|understood|alright|bye|goodbye|cheers|have a (?:nice|good|great))\b/i;
/** Words that start with a capital but are not names. */
const NOT_NAMES = new Set(['I', "I'm", "I'll", "I've", "I'd", 'OK', 'The', 'A', 'An', 'And', 'But', 'So', 'Yes', 'No']);

/** Capitalised words inside the sentence (not its first word): names of people, places, products. */
function properNouns(sentence: string): number {
  const words = sentence.split(/\s+/).slice(1);
  let n = 0;
  for (const w of words) {
    const clean = w.replace(/^[^\w]+|[^\w']+$/g, '');
    if (/^[A-Z][\w'-]*$/.test(clean) && !NOT_NAMES.has(clean)) n++;
  }
  return n;
}

/**
 * A sentence's score: how many kinds of fact it carries, weighted; a bare pleasantry scores below zero.
 * The first word counts as a name only when it is not a common sentence opener.
 */
export function scoreSentence(sentence: string): number {
  let score = 0;
  if (DATE.test(sentence)) score += 3;
  if (NUMBER.test(sentence)) score += 2;
  if (IDENTIFIER.test(sentence)) score += 2;
  if (DECISION.test(sentence)) score += 3;
  if (COMMITMENT.test(sentence)) score += 2;
  if (PREFERENCE.test(sentence)) score += 2;
  if (sentence.endsWith('?') && QUESTION_WORD.test(sentence)) score += 3;
  score += Math.min(properNouns(sentence), 3) * 2;
  if (score === 0 && PLEASANTRY.test(sentence)) return -1;
  return score;
}
