// JSONata expressions of a definition (the language AWS Step Functions adopted), evaluated by the
// jsonata package's own interpreter: no eval, no new Function, no access to the process. Each
// evaluation is bounded in time and stack depth (jsonata's `timeout`/`stack` guardrails) and its result
// in size; `$eval` is disabled, so text that a tool returned is never evaluated: it stays data.
//
// In `args`, a string of the form "{% expr %}" (Step Functions' JSONata syntax) is an expression; every
// other value is literal. Expressions come from the definition only and are evaluated once: a result
// that looks like "{% ... %}" is not evaluated again.
import jsonata from 'jsonata';

export interface ExpressionLimits {
  timeoutMs: number;
  /** Largest result, as JSON characters. */
  maxResultChars: number;
  stackDepth: number;
}

export const DEFAULT_LIMITS: ExpressionLimits = { timeoutMs: 100, maxResultChars: 256 * 1024, stackDepth: 200 };
const MAX_EXPRESSION_CHARS = 4_000;
const TEMPLATE = /^\{%([\s\S]*)%\}$/;

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** The expression text of a "{% expr %}" string, or undefined for a literal. */
export const templateOf = (value: unknown): string | undefined => (typeof value === 'string' ? TEMPLATE.exec(value.trim())?.[1]?.trim() : undefined);

type Compiled = ReturnType<typeof jsonata>;
const cache = new Map<string, Compiled>();

// Compiled once per expression and limits; jsonata's guardrails start their clock at each evaluate().
function compile(source: string, path: string, limits: ExpressionLimits = DEFAULT_LIMITS): Compiled {
  if (source.length > MAX_EXPRESSION_CHARS) throw new ExpressionError(`expression is longer than ${MAX_EXPRESSION_CHARS} characters`, path);
  const key = `${limits.timeoutMs}:${limits.stackDepth}:${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let expr: Compiled;
  try {
    expr = jsonata(source, { timeout: limits.timeoutMs, stack: limits.stackDepth } as jsonata.JsonataOptions);
  } catch (err) {
    throw new ExpressionError(`bad JSONata: ${jsonataMessage(err)}`, path);
  }
  if (cache.size > 2_000) cache.clear();
  cache.set(key, expr);
  return expr;
}

function jsonataMessage(err: unknown): string {
  const e = err as { message?: string; code?: string; position?: number };
  if (e.code === 'D1012') return 'evaluation took too long (limit reached); simplify the expression';
  if (e.code === 'D1011') return 'evaluation went too deep (stack limit reached)';
  return `${e.message ?? String(err)}${e.position !== undefined ? ` (at character ${e.position})` : ''}`.slice(0, 300);
}

/** Throws ExpressionError when `source` is not valid JSONata (saving a definition uses this). */
export function checkExpression(source: string, path: string): void {
  compile(source, path);
}

const refuseEval = () => {
  throw { code: 'WF001', message: '$eval is disabled in workflow expressions: data from tools is never evaluated as code' };
};

/** Evaluates one expression against `context` within the limits; the result is plain JSON data. */
export async function evaluate(source: string, context: unknown, path: string, limits: ExpressionLimits = DEFAULT_LIMITS): Promise<unknown> {
  const expr = compile(source, path, limits);
  let result: unknown;
  try {
    result = await expr.evaluate(context, { eval: refuseEval });
  } catch (err) {
    throw new ExpressionError(`expression failed: ${jsonataMessage(err)}`, path);
  }
  return toData(result, limits.maxResultChars, path);
}

/** Copies a JSONata result into plain JSON (sequences become arrays, functions are refused), bounded in size. */
function toData(value: unknown, maxChars: number, path: string): unknown {
  if (value === undefined) return undefined;
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'function') throw new ExpressionError('the expression returned a function, not data', path);
      return v;
    });
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    throw new ExpressionError('the result is not JSON data', path);
  }
  if (text.length > maxChars) throw new ExpressionError(`the result is ${text.length} characters of JSON, over the limit of ${maxChars}`, path);
  return JSON.parse(text);
}

/** Every "{% expr %}" in `value` with its path (for validation before saving). */
export function expressionsIn(value: unknown, path: string): Array<{ source: string; path: string }> {
  const out: Array<{ source: string; path: string }> = [];
  const walk = (v: unknown, p: string) => {
    const src = templateOf(v);
    if (src !== undefined) out.push({ source: src, path: p });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${p}.${k}`);
  };
  walk(value, path);
  return out;
}

/** Resolves a step's args: each expression replaced by its value; literals copied as they are. */
export async function resolveArgs(args: unknown, context: unknown, path: string, limits: ExpressionLimits = DEFAULT_LIMITS): Promise<unknown> {
  const src = templateOf(args);
  if (src !== undefined) return evaluate(src, context, path, limits);
  if (Array.isArray(args)) return Promise.all(args.map((x, i) => resolveArgs(x, context, `${path}[${i}]`, limits)));
  if (args && typeof args === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) {
      const r = await resolveArgs(v, context, `${path}.${k}`, limits);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  return args;
}

/** A `when` condition: "{% expr %}" or a bare expression; JSONata truthiness ($boolean). */
export async function condition(when: string, context: unknown, path: string, limits: ExpressionLimits = DEFAULT_LIMITS): Promise<boolean> {
  const value = await evaluate(`$boolean(${templateOf(when) ?? when})`, context, path, limits);
  return value === true;
}

/** The bare expression of a `when` (for validation). */
export const conditionSource = (when: string): string => templateOf(when) ?? when;
