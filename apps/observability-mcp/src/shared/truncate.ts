// Keeps text bounded for an agent's context and counts what was left out.

/** Cuts a string to max characters, marking the cut; reports how many characters were dropped. */
export function truncateText(text: string, max: number): { text: string; omitted: number } {
  if (text.length <= max) return { text, omitted: 0 };
  const keep = Math.max(0, max - 1);
  return { text: `${text.slice(0, keep)}…`, omitted: text.length - keep };
}
