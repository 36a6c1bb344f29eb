// The dashboard's static stylesheet and script (served from /assets so the CSP needs no 'unsafe-inline').
import { createHash } from 'node:crypto';

export const DASHBOARD_CSS = `
:root{--ok:#2e7d32;--warn:#b7791f;--bad:#c62828;--unk:#9ca3af;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f9fafb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:inherit}
header.top{display:flex;align-items:center;gap:16px;padding:10px 20px;background:#fff;border-bottom:1px solid var(--line)}
header.top h1{font-size:16px;margin:0}
header.top nav a{margin-right:12px;text-decoration:none;color:var(--muted)}
header.top nav a.active{color:var(--fg);font-weight:600}
header.top .live{margin-left:auto;color:var(--muted);font-size:12px}
main{padding:16px 20px;max-width:1500px;margin:0 auto}
.banner{display:flex;flex-wrap:wrap;gap:24px;align-items:center;padding:14px 18px;border-radius:8px;background:#fff;border:1px solid var(--line);border-left:6px solid var(--unk);margin-bottom:16px}
.banner.ok{border-left-color:var(--ok)}.banner.bad{border-left-color:var(--bad)}
.banner .headline{font-size:18px;font-weight:600}
.stat{display:flex;flex-direction:column}.stat b{font-size:16px}.stat span{color:var(--muted);font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px;border-top:4px solid var(--unk)}
.card.up{border-top-color:var(--ok)}.card.degraded{border-top-color:var(--warn)}.card.not_ready,.card.down{border-top-color:var(--bad)}
.card h2{font-size:15px;margin:0;display:flex;justify-content:space-between;align-items:center;gap:8px}
.card h2 a{text-decoration:none}
.pill{font-size:11px;font-weight:600;padding:1px 8px;border-radius:10px;color:#fff;background:var(--unk);text-transform:uppercase;letter-spacing:.03em}
.pill.up,.pill.ok{background:var(--ok)}.pill.degraded,.pill.warning{background:var(--warn)}.pill.not_ready,.pill.down,.pill.error{background:var(--bad)}
.meta{color:var(--muted);font-size:12px;margin:4px 0 8px}
.deps{list-style:none;padding:0;margin:0 0 8px}
.deps li{display:flex;align-items:center;gap:6px;font-size:13px;padding:1px 0}
.deps li .lat{margin-left:auto;color:var(--muted);font-variant-numeric:tabular-nums}
.dot{width:9px;height:9px;border-radius:50%;background:var(--unk);flex:none}
.dot.ok{background:var(--ok)}.dot.warning{background:var(--warn)}.dot.error{background:var(--bad)}.dot.not_configured{background:var(--unk)}
.err{color:var(--bad);font-size:12px;margin:4px 0 0;overflow-wrap:anywhere}
.charts{display:flex;flex-direction:column;gap:4px}
.charts .label{display:flex;justify-content:space-between;color:var(--muted);font-size:11px}
svg.bars path{fill:var(--line)}svg.bars path.ok{fill:var(--ok)}svg.bars path.warn{fill:var(--warn)}svg.bars path.bad{fill:var(--bad)}
svg.spark polyline{fill:none;stroke:#2563eb;stroke-width:1.5;vector-effect:non-scaling-stroke}svg.spark circle{fill:#2563eb}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);font-size:13px;vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:12px}
td.num{font-variant-numeric:tabular-nums;text-align:right}
section{margin-bottom:18px}
section h2{font-size:15px;margin:0 0 8px}
.muted{color:var(--muted)}
.pager{margin-top:10px}
`;

export const DASHBOARD_JS = `
(function(){
  var body=document.body;
  var every=Number(body.getAttribute('data-refresh-ms'))||5000;
  var stamp=document.getElementById('live');
  function refresh(){
    fetch(location.pathname+location.search,{headers:{'x-partial':'1'},credentials:'same-origin',cache:'no-store'})
      .then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.text();})
      .then(function(html){var main=document.querySelector('main');if(main)main.innerHTML=html;if(stamp)stamp.textContent='live \\u00b7 updated '+new Date().toLocaleTimeString();})
      .catch(function(e){if(stamp)stamp.textContent='live refresh failed: '+e.message;})
      .finally(function(){setTimeout(refresh,every);});
  }
  setTimeout(refresh,every);
})();
`;

const etag = (s: string) => `"${createHash('sha256').update(s).digest('base64url').slice(0, 16)}"`;
export const CSS_ETAG = etag(DASHBOARD_CSS);
export const JS_ETAG = etag(DASHBOARD_JS);

/** Allows exactly what the pages use: same-origin script, stylesheet and fetch; inline SVG needs nothing. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
