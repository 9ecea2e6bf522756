/**
 * The console page (`GET /api/console`): one HTML document with its style and script inline, so it needs nothing
 * but the app (no fonts, no CDN). The script is the build output of `client.ts` and the modules it imports
 * (`npm run build` compiles them to CommonJS next to this file); a small loader in the page gives them `require`.
 * The Content-Security-Policy allows exactly that script and style and calls to the app's own origin.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** The compiled modules the page carries, the entry first. */
/** The page's modules: by the path the modules require them with (relative to this folder). */
const MODULES = ['client', 'answers', 'runModel', '../golive/run/states'] as const;

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#5c5c5c;--line:#d5d5d5;--accent:#0b5cad;--ok:#176d2c;--bad:#b3261e;--warn:#8a5a00;--soft:#f3f5f8}
@media (prefers-color-scheme:dark){:root{--fg:#ececec;--bg:#16181b;--muted:#a8a8a8;--line:#3a3d42;--accent:#7cb7ff;--ok:#6fd08a;--bad:#ff8a80;--warn:#ffcc66;--soft:#22252a}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main{max-width:1200px;margin:0 auto;padding:.75rem 1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline;border-bottom:1px solid var(--line)}
h1{font-size:1.3rem;margin:0}h2{font-size:1.15rem;margin:.25rem 0}h3{font-size:1rem;margin:1.25rem 0 .4rem}
a{color:var(--accent)}
#status{margin:0;color:var(--muted)}#status.error,.error{color:var(--bad)}.ok{color:var(--ok)}
form.inline,.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}
label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
input,select,button{font:inherit;padding:.35rem .6rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
button{cursor:pointer;background:var(--accent);color:var(--bg);border-color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad)}
button.plain{background:var(--bg);color:var(--fg);border-color:var(--line)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
table{border-collapse:collapse;width:100%}caption{text-align:left;color:var(--muted);font-size:.85rem;padding:.25rem 0}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.8rem;color:var(--muted);font-weight:600}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8rem;border:1px solid currentColor}
.s-succeeded,.s-complete,.s-completed{color:var(--ok)}.s-failed,.s-terminated{color:var(--bad)}
.s-canceled,.s-canceling,.s-timedOut{color:var(--warn)}
.bar{display:flex;align-items:center;gap:.4rem}.bar progress{width:8rem;height:.6rem}.pct{font-size:.8rem;color:var(--muted);min-width:2.5rem}
.step{font-weight:500}.reason{display:block;font-size:.8rem;color:var(--muted);max-width:22rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.why,.estimate{font-size:.8rem;color:var(--muted)}
.run-head{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.75rem 0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid var(--line)}
ol.timeline li{padding:.3rem .75rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
ol.timeline li.done{border-left:3px solid var(--ok);margin-left:-3px}ol.timeline li.now{border-left:3px solid var(--accent);margin-left:-3px}
.error-box{border:1px solid var(--bad);border-radius:6px;padding:.25rem .9rem;margin-top:1rem}
pre{background:var(--soft);padding:.6rem;border-radius:4px;overflow:auto;max-height:24rem;font-size:.8rem}
dialog{border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg);max-width:28rem}
dialog::backdrop{background:rgba(0,0,0,.4)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
#answer{min-height:1.4em;margin:.25rem 0}
@media (max-width:720px){
 #runs thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
 #runs,#runs tbody{display:block;width:100%}
 #runs tr{display:block;border:1px solid var(--line);border-radius:6px;margin:.5rem 0;padding:.25rem .5rem}
 #runs th,#runs td{display:flex;flex-wrap:wrap;gap:.5rem;border:0;padding:.15rem 0;overflow-wrap:anywhere}
 dl{grid-template-columns:1fr}dt{margin-top:.3rem}
 #runs [data-label]::before{content:attr(data-label);min-width:6.5rem;color:var(--muted);font-size:.85rem}
}`;

const BODY = `
<header>
<h1>Go-live console</h1>
<p id="status" role="status" aria-live="polite">Loading…</p>
</header>
<main>
<section aria-labelledby="golive-h">
<h2 id="golive-h" class="sr-only">Request a go-live</h2>
<form id="golive-form" class="inline">
<label for="offer-input">Offer (publisherId/offerId)
<input id="offer-input" name="offer" required autocomplete="off" spellcheck="false" placeholder="contoso/contoso-vm-offer" pattern="[a-z0-9_\\-]{1,50}/[a-z0-9_\\-]{1,50}"></label>
<label for="api-input">API<select id="api-input" name="api"><option value="">the app's default</option><option value="cpp">Cloud Partner Portal</option><option value="productIngestion">Product Ingestion</option></select></label>
<button type="submit">Go live</button>
</form>
<p id="answer" role="status" aria-live="polite"></p>
</section>
<section id="runs-view" aria-labelledby="runs-h">
<h2 id="runs-h">Runs</h2>
<div class="filters">
<label for="state-filter">State<select id="state-filter"><option value="">all</option></select></label>
<label for="search">Search offer<input id="search" type="search" autocomplete="off" spellcheck="false"></label>
<span id="runs-count" class="pct"></span>
</div>
<table id="runs">
<caption class="sr-only">Every offer's current or last run, newest first</caption>
<thead><tr><th scope="col">Offer</th><th scope="col">API</th><th scope="col">State</th><th scope="col">Step</th><th scope="col">Started</th><th scope="col">Last check</th><th scope="col">Next check</th><th scope="col">Requests</th></tr></thead>
<tbody id="runs-body"></tbody>
</table>
<p id="runs-empty" hidden>No runs match.</p>
</section>
<section id="run-view" hidden aria-label="One run">
<p><a href="#/">← All runs</a></p>
<div id="run"></div>
</section>
</main>
<dialog id="confirm" aria-labelledby="confirm-h">
<form method="dialog">
<h2 id="confirm-h">Cancel the go-live?</h2>
<p id="confirm-text"></p>
<p><button value="keep" class="plain" autofocus>Keep it running</button> <button value="cancel" class="danger">Cancel the go-live</button></p>
</form>
</dialog>
<noscript><p>The console needs JavaScript; the same data is at <code>/api/golive</code>.</p></noscript>`;

/** The compiled modules wrapped in a tiny CommonJS loader: `require('./x')` resolves inside the page. */
export function bundle(sources: Record<string, string>, entry: string): string {
  const modules = Object.entries(sources)
    .map(
      ([name, code]) =>
        `${JSON.stringify(name.startsWith('.') ? name : `./${name}`)}:function(module,exports,require){\n${code.replace(/^\/\/# sourceMappingURL=.*$/m, '')}\n}`,
    )
    .join(',\n');
  return (
    `(function(){var defs={${modules}};var cache={};` +
    'function req(n){var c=cache[n];if(c)return c.exports;var m={exports:{}};cache[n]=m;' +
    'if(!defs[n])throw new Error("module "+n+" is missing");defs[n](m,m.exports,req);return m.exports;}' +
    `req(${JSON.stringify(`./${entry}`)});})();`
  );
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export interface ConsolePage {
  html: string;
  gzip: Buffer;
  headers: Record<string, string>;
}

/** Builds the page from the compiled modules in `dir` (default: this file's folder). */
export function buildConsolePage(dir: string = __dirname): ConsolePage {
  const sources: Record<string, string> = {};
  for (const name of MODULES) sources[name] = readFileSync(path.join(dir, `${name}.js`), 'utf8');
  const script = bundle(sources, 'client');
  const html =
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="referrer" content="no-referrer"><title>Go-live console</title>' +
    `<style>${STYLE}</style></head><body>${BODY}\n<script>${script}</script></body></html>\n`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    html,
    gzip: gzipSync(html, { level: 9 }),
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      Vary: 'Accept-Encoding',
    },
  };
}

/** Whether the caller takes gzip (`Accept-Encoding`). */
export function acceptsGzip(acceptEncoding: string | null | undefined): boolean {
  return (acceptEncoding ?? '')
    .split(',')
    .map((part) => part.trim().split(';'))
    .some(([coding, q]) => coding?.trim().toLowerCase() === 'gzip' && !/q=0(\.0*)?$/.test(q?.trim() ?? ''));
}
