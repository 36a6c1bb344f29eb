// The dashboard's static stylesheet and script (served from /assets so the CSP needs no 'unsafe-inline').
import { createHash } from 'node:crypto';

export const DASHBOARD_CSS = `
:root{--ok:#2e7d32;--warn:#b7791f;--bad:#c62828;--unk:#9ca3af;--maint:#4b6584;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f9fafb;--avg:#2563eb;--p95:#ea580c}
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
.card.up{border-top-color:var(--ok)}.card.degraded{border-top-color:var(--warn)}.card.not_ready,.card.down{border-top-color:var(--bad)}.card.not_configured{border-top-color:var(--unk);background:#fcfcfd}.card.maintenance{border-top-color:var(--maint)}
.card h2{font-size:15px;margin:0;display:flex;justify-content:space-between;align-items:center;gap:8px}
.card h2 a{text-decoration:none}
.pill{white-space:nowrap;font-size:11px;font-weight:600;padding:1px 8px;border-radius:10px;color:#fff;background:var(--unk);text-transform:uppercase;letter-spacing:.03em}
.pill.up,.pill.ok{background:var(--ok)}.pill.degraded,.pill.warning{background:var(--warn)}.pill.not_ready,.pill.down,.pill.error{background:var(--bad)}.pill.not_configured{background:var(--unk)}.pill.maintenance{background:var(--maint)}
.meta{color:var(--muted);font-size:12px;margin:4px 0 8px}
.deps{list-style:none;padding:0;margin:0 0 8px}
.deps li{display:flex;align-items:center;gap:6px;font-size:13px;padding:1px 0}
.deps li .lat{margin-left:auto;color:var(--muted);font-variant-numeric:tabular-nums}
.dot{width:9px;height:9px;border-radius:50%;background:var(--unk);flex:none}
.dot.ok{background:var(--ok)}.dot.warning{background:var(--warn)}.dot.error{background:var(--bad)}.dot.not_configured{background:var(--unk)}
.err{color:var(--bad);font-size:12px;margin:4px 0 0;overflow-wrap:anywhere}
.setup{font-size:12px;color:#374151;background:#f3f4f6;border-radius:6px;padding:6px 8px;margin:0 0 8px}.setup ul{margin:4px 0 0;padding-left:16px}.setup li{overflow-wrap:anywhere}
.incident{font-size:12px;margin:4px 0 0;color:var(--bad)}.maint{color:var(--maint)}
.charts{display:flex;flex-direction:column;gap:4px}
.charts .label{display:flex;justify-content:space-between;color:var(--muted);font-size:11px}
svg.bars :is(rect,path){fill:var(--line)}svg.bars .ok{fill:var(--ok)}svg.bars .warn{fill:var(--warn)}svg.bars .bad{fill:var(--bad)}svg.bars :is(rect,path):hover{opacity:.7}
svg.spark polyline{fill:none;stroke:var(--avg);stroke-width:1.5;vector-effect:non-scaling-stroke}svg.spark circle{fill:var(--avg)}
figure.chart{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px}
figure.chart .grid line{stroke:var(--line)}figure.chart line.base{stroke:var(--muted)}
figure.chart text{font-size:11px;fill:var(--muted);font-variant-numeric:tabular-nums}figure.chart .axis.y text{text-anchor:end}figure.chart .axis.x text{text-anchor:middle}figure.chart .axis.x text.first{text-anchor:start}figure.chart .axis.x text.last{text-anchor:end}figure.chart svg{display:block;max-height:280px}
figure.chart polyline{fill:none;stroke-width:1.5}figure.chart polyline.avg{stroke:var(--avg)}figure.chart polyline.p95{stroke:var(--p95);stroke-dasharray:4 3}figure.chart circle{fill:var(--avg)}
figcaption{font-size:12px;color:var(--muted);margin-top:4px}.key{display:inline-block;width:14px;height:3px;margin:0 4px 3px 10px;vertical-align:middle}.key.avg{background:var(--avg)}.key.p95{background:var(--p95)}
.ranges{margin:0 0 8px}.ranges a{display:inline-block;padding:2px 10px;border:1px solid var(--line);border-radius:12px;margin-right:6px;text-decoration:none;background:#fff;font-size:12px}.ranges a.active{background:var(--fg);color:#fff;border-color:var(--fg)}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:center;font-size:13px}form.inline{display:inline;margin:0}
button{font:inherit;font-size:12px;padding:3px 10px;border:1px solid #d1d5db;border-radius:6px;background:#fff;cursor:pointer}button:hover{background:#f3f4f6}
select,input{font:inherit;font-size:13px;padding:2px 6px;border:1px solid #d1d5db;border-radius:6px;background:#fff}
.notfound{background:#fff;border:1px solid var(--line);border-radius:8px;padding:24px;max-width:640px;margin:40px auto}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);font-size:13px;vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:12px}
td.num,th.num{font-variant-numeric:tabular-nums;text-align:right;white-space:nowrap}
section{margin-bottom:18px}
section h2{font-size:15px;margin:0 0 8px}
.muted{color:var(--muted)}
.pager{margin-top:10px}
`;

export const DASHBOARD_JS = `
(function(){
  var body=document.body;
  var every=Number(body.getAttribute('data-refresh-ms'))||0;
  var stamp=document.getElementById('live');
  function refresh(){
    // Never replace a form someone is filling in.
    var active=document.activeElement;
    if(active&&active.form){setTimeout(refresh,every);return;}
    fetch(location.pathname+location.search,{headers:{'x-partial':'1'},credentials:'same-origin',cache:'no-store'})
      .then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.text();})
      .then(function(html){var main=document.querySelector('main');if(main)main.innerHTML=html;if(stamp)stamp.textContent='live \\u00b7 updated '+new Date().toLocaleTimeString();})
      .catch(function(e){if(stamp)stamp.textContent='live refresh failed: '+e.message;})
      .finally(function(){setTimeout(refresh,every);});
  }
  if(every>0)setTimeout(refresh,every);
})();
`;

const etag = (s: string) => `"${createHash('sha256').update(s).digest('base64url').slice(0, 16)}"`;
export const CSS_ETAG = etag(DASHBOARD_CSS);
export const JS_ETAG = etag(DASHBOARD_JS);

/** Allows exactly what the pages use: same-origin script, stylesheet and fetch; inline SVG needs nothing. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
