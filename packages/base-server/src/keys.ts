// Composite keys (cache keys, job ids, locks, map keys) built injectively from their parts: every part
// is written as `<length>:<part>`, so no separator inside a part can make two different tuples meet
// ("acme:prod" + "s1" and "acme" + "prod:s1" give different keys). Reading a key back is unambiguous,
// which is what makes it injective.

/** `compositeKey('acme:prod', 's1')` → `9:acme:prod2:s1`; distinct tuples always give distinct keys. */
export function compositeKey(...parts: readonly string[]): string {
  let key = '';
  for (const part of parts) key += `${part.length}:${part}`;
  return key;
}

/** The parts a compositeKey was built from (throws on a string no compositeKey produced). */
export function parseCompositeKey(key: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < key.length) {
    const colon = key.indexOf(':', i);
    const digits = key.slice(i, colon);
    if (colon < 0 || !/^(0|[1-9]\d*)$/.test(digits)) throw new Error(`not a composite key: ${JSON.stringify(key)}`);
    const end = colon + 1 + Number(digits);
    if (end > key.length) throw new Error(`not a composite key: ${JSON.stringify(key)}`);
    parts.push(key.slice(colon + 1, end));
    i = end;
  }
  return parts;
}
