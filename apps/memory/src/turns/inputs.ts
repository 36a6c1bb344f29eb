// The argument schemas shared by the MCP tools and the REST routes, so both validate identically.
import { z } from '@factory/base-server';
import { ROLES } from '../db/schema.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const idMessage = 'must be 1-128 characters: letters, digits and . _ : @ - (starting with a letter or digit)';

export const agentIdSchema = z.string().regex(ID, idMessage).describe('The agent whose memory this is, e.g. "support-bot".');
export const sessionIdSchema = z.string().regex(ID, idMessage).describe('The conversation (session) within the agent, e.g. "chat-2024-06-01".');
export const roleSchema = z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` }).describe('Who spoke: user, assistant, system or tool.');
/** Postgres text and jsonb cannot hold NUL (U+0000) anywhere, keys included. */
function hasNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(hasNul);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => k.includes('\u0000') || hasNul(x));
  return false;
}

/**
 * A lone UTF-16 surrogate has no UTF-8 form: the driver would store U+FFFD instead, altering the text after
 * the ack. Such input is refused rather than silently changed.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function hasLoneSurrogate(v: unknown): boolean {
  if (typeof v === 'string') return LONE_SURROGATE.test(v);
  if (Array.isArray(v)) return v.some(hasLoneSurrogate);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => LONE_SURROGATE.test(k) || hasLoneSurrogate(x));
  return false;
}
const surrogateMessage = (field: string) =>
  `${field} must be valid Unicode: it contains a lone UTF-16 surrogate (half of a character such as an emoji); send the whole character or remove it`;

export const metadataSchema = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 8_192, 'metadata must serialise to at most 8192 characters')
  .refine((m) => !hasNul(m), 'metadata must not contain NUL characters (U+0000)')
  .refine((m) => !hasLoneSurrogate(m), surrogateMessage('metadata'))
  .describe('Optional JSON object stored with the turn (tool name, message id, ...).');

export function contentSchema(maxChars: number) {
  return z
    .string()
    .min(1, 'content must not be empty')
    .max(maxChars, `content is longer than ${maxChars} characters; split it into several turns`)
    .refine((s) => !s.includes('\u0000'), 'content must not contain NUL characters')
    .refine((s) => !LONE_SURROGATE.test(s), surrogateMessage('content'))
    .describe('The text of the turn, verbatim.');
}

export const turnInputSchema = (maxChars: number) =>
  z.object({ role: roleSchema, content: contentSchema(maxChars), metadata: metadataSchema.optional() });

export const recentLimitSchema = z.coerce.number().int().min(1).max(200).default(20).describe('How many of the newest turns to return (1-200).');
export const maxTokensSchema = z.coerce
  .number()
  .int()
  .min(64)
  .max(1_000_000)
  .optional()
  .describe('Token budget for the whole answer (summary plus turns); omit for no limit.');
export const searchQuerySchema = z
  .string()
  .trim()
  .min(1, 'query must not be empty')
  .max(500, 'query is longer than 500 characters')
  .refine((s) => !s.includes('\u0000'), 'query must not contain NUL characters (U+0000); remove them')
  .refine((s) => !LONE_SURROGATE.test(s), surrogateMessage('query'))
  .describe('Words to look for; supports "quoted phrases", OR and -excluded words.');
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'idempotency key must be 1-255 printable ASCII characters without spaces (a UUID is a good choice)')
  .describe(
    'Optional: a unique key for this write (e.g. a UUID). Retrying with the same key returns the first answer and stores nothing twice; keys are remembered for 24 hours.',
  );
export const searchLimitSchema = z.coerce.number().int().min(1).max(100).default(10).describe('Maximum number of hits (1-100).');
export const jobIdSchema = z.string().regex(/^cmp-[a-f0-9]{32}$/, 'job_id looks like "cmp-" followed by 32 hex digits').describe('A job id returned by compress_memory.');

/** A per-agent retention: whole days, 0 = keep forever, null = back to MEMORY_RETENTION_DAYS. */
export const retentionDaysSchema = z
  .number({ error: 'retention_days must be a whole number of days (0 keeps forever) or null (use MEMORY_RETENTION_DAYS)' })
  .int({ error: 'retention_days must be a whole number of days' })
  .min(0, { error: 'retention_days must be at least 0 (0 keeps the turns forever)' })
  .max(36_500, { error: 'retention_days must be at most 36500 (100 years); use 0 to keep forever' })
  .nullable()
  .describe('Days to keep the agent\'s turns; 0 keeps them forever; null removes the override so MEMORY_RETENTION_DAYS applies.');
