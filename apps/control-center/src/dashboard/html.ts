// HTML (and inline SVG) by construction: html`...` escapes every interpolated value unless it is
// itself markup built by html`` (or explicitly marked with `trusted`), so no call site can forget to
// escape. Arrays are joined; null, undefined and false render nothing.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeText = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** Markup that is already safe to emit. Only html`` and `trusted` make one. */
export class SafeHtml {
  private constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  /** @internal */
  static of(value: string): SafeHtml {
    return new SafeHtml(value);
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeText(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return SafeHtml.of(out);
}

/**
 * Markup produced by a library that escapes its own output (badge-maker's SVG). Never pass text that
 * came from a request, a service or the database.
 */
export const trusted = (markup: string): SafeHtml => SafeHtml.of(markup);

/** Joins fragments with a separator (escaped like any interpolation). */
export const join = (items: readonly HtmlValue[], separator: HtmlValue): SafeHtml =>
  SafeHtml.of(items.map(render).join(render(separator)));
