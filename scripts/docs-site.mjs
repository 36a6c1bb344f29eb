#!/usr/bin/env node
// The static docs site (docs.yml publishes it to GitHub Pages): the README's "Configuration" section
// (its tables) as configuration.html, and every service's OpenAPI document, fetched from GET
// /openapi.json of the built app (started from dist/ on a free loopback port, embedded PGlite), as
// openapi/<service>.json, with an index page linking them. Needs `pnpm build` first.
//
//   node scripts/docs-site.mjs --out DIR
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root, SERVICES, serviceEnv, spawnService } from './local-services.mjs';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
if (!values.out) {
  process.stderr.write('usage: node scripts/docs-site.mjs --out DIR\n');
  process.exit(2);
}
const out = values.out;

/** @param {string} s */
const escape = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
/** Inline markdown: `code`, [text](url), **bold**. @param {string} s */
const inline = (s) =>
  escape(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, text, href) => `<a href="${href.startsWith('#') || /^https?:/.test(href) ? href : `https://github.com/search?q=${encodeURIComponent(href)}`}">${text}</a>`)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
/** @param {string} title @param {string} body */
const page = (title, body) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>\n<style>body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}code{background:#f3f3f3;padding:0 .2rem}</style></head>\n<body>\n${body}\n</body></html>\n`;

/**
 * A README section (from `## <heading>` to the next `## `) as HTML: headings, tables, paragraphs.
 * @param {string} markdown @param {string} heading
 */
export function sectionHtml(markdown, heading) {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l === `## ${heading}`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  const html = [];
  let para = [];
  const flush = () => {
    if (para.length) html.push(`<p>${inline(para.join(' '))}</p>`);
    para = [];
  };
  const section = lines.slice(start, end < 0 ? undefined : end);
  for (let i = 0; i < section.length; i++) {
    const line = section[i] ?? '';
    const h = /^(#{2,4}) (.*)$/.exec(line);
    if (h) {
      flush();
      const level = (h[1] ?? '').length;
      const text = h[2] ?? '';
      const id = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
      html.push(`<h${level} id="${id}">${inline(text)}</h${level}>`);
    } else if (line.startsWith('|')) {
      flush();
      const rows = [];
      while ((section[i] ?? '').startsWith('|')) rows.push(section[i++] ?? '');
      i--;
      const cells = (/** @type {string} */ r) => r.replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim());
      const [head = '', , ...body] = rows;
      html.push(`<table><thead><tr>${cells(head).map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>`);
      for (const r of body) html.push(`<tr>${cells(r).map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`);
      html.push('</tbody></table>');
    } else if (line.trim() === '') flush();
    else para.push(line);
  }
  flush();
  return html.join('\n');
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** GET /openapi.json of one built service. @param {(typeof SERVICES)[number]} s */
async function openapiOf(s) {
  const port = /** @type {number} */ (await freePort());
  const child = spawnService(s, { ...process.env, ...serviceEnv(s, { port, dataDir }), LOG_LEVEL: 'error' });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  try {
    for (let attempt = 0; attempt < 600; attempt++) {
      if (child.exitCode !== null) throw new Error(`${s.name} exited: ${stderr.slice(-500)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/openapi.json`);
        if (res.ok) return await res.json();
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${s.name} did not serve /openapi.json within 60 s`);
  } finally {
    child.kill('SIGTERM');
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'factory-docs-'));
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'openapi'), { recursive: true });
const readme = readFileSync(join(root, 'README.md'), 'utf8');
writeFileSync(join(out, 'configuration.html'), page('Factory configuration', `<p><a href="index.html">Factory docs</a></p>\n${sectionHtml(readme, 'Configuration')}`));
const apis = SERVICES.filter((s) => s.mcp || s.name === 'control-center');
const items = [];
for (const s of apis) {
  const doc = await openapiOf(s);
  writeFileSync(join(out, 'openapi', `${s.name}.json`), `${JSON.stringify(doc, null, 2)}\n`);
  items.push(`<li><a href="openapi/${s.name}.json">${escape(s.name)}</a> — OpenAPI ${escape(String(doc.openapi))}, version ${escape(String(doc.info?.version))}, ${Object.keys(doc.paths ?? {}).length} paths</li>`);
  console.log(`docs-site: openapi/${s.name}.json`);
}
writeFileSync(
  join(out, 'index.html'),
  page('Factory docs', `<h1>Factory</h1>\n<p>A control plane for Model Context Protocol servers.</p>\n<ul>\n<li><a href="configuration.html">Configuration</a> (every setting, per service)</li>\n</ul>\n<h2>HTTP APIs (OpenAPI)</h2>\n<ul>\n${items.join('\n')}\n</ul>`),
);
rmSync(dataDir, { recursive: true, force: true });
console.log(`docs-site: ${out}/index.html, configuration.html, ${items.length} OpenAPI documents`);
