// JSON-schema checks (draft 2020-12, MCP's default dialect for tool schemas) with the path of each problem.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { DefinitionProblem } from './errors.js';

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

/** A compiled validator for `schema`, or the reason it is not a usable JSON schema. */
export function validatorFor(schema: Record<string, unknown>): ValidateFunction | string {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return hit;
  try {
    const v = ajv.compile(schema);
    if (compiled.size > 1_000) compiled.clear();
    compiled.set(key, v);
    return v;
  } catch (err) {
    return err instanceof Error ? err.message : 'not a valid JSON schema';
  }
}

/** `/a/0/b` → `.a[0].b` appended to `base`. */
export function pointerToPath(base: string, pointer: string): string {
  if (!pointer) return base;
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : `${out}.${p}`), base);
}

export function problemsOf(errors: readonly ErrorObject[] | null | undefined, base: string): DefinitionProblem[] {
  return (errors ?? []).map((e) => {
    const missing = e.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
    const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty?: string }).additionalProperty : undefined;
    const at = pointerToPath(base, e.instancePath);
    if (missing) return { path: `${at}.${missing}`, message: 'is required by the tool' };
    if (extra) return { path: `${at}.${extra}`, message: 'is not an argument of the tool' };
    return { path: at, message: e.message ?? 'is invalid' };
  });
}

/** Problems of `value` against `schema` (an unusable schema is one problem at `base`). */
export function checkAgainst(schema: Record<string, unknown>, value: unknown, base: string): DefinitionProblem[] {
  const v = validatorFor(schema);
  if (typeof v === 'string') return [{ path: base, message: `not a valid JSON schema: ${v}` }];
  return v(value) ? [] : problemsOf(v.errors, base);
}
