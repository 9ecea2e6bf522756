/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The console's script (runs in the browser; `page.ts` inlines it). It reads the HTTP API with the function key
 * the page was opened with (`?code=`, sent as `x-functions-key`), never shows the key, and refreshes every few
 * seconds, redrawing only what changed so the reader keeps their place (focus, scroll, open details).
 */
import { countdown, formatDuration, plainAnswer } from './answers';
import { foldChecks, readRunList, readRunModel, type RunModel, STATE_FILTERS } from './runModel';

const REFRESH_MS = 3_000;

type Child = Node | string | null | undefined | false;

function h(tag: string, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const key = new URL(location.href).searchParams.get('code');
const apiBase = new URL('golive', location.href);
apiBase.search = '';

interface Answer {
  status: number;
  body: unknown;
}

async function call(path: string, init: RequestInit = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (key) headers.set('x-functions-key', key);
  try {
    const res = await fetch(`${apiBase.pathname}${path}`, { ...init, headers, cache: 'no-store' });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: res.status, body };
  } catch {
    return { status: 0, body: null };
  }
}

// ---- formatting ----

/** A time with its date and zone: `Dec 2, 2026, 2:11:13 AM UTC` (the ISO time in the tooltip). */
function when(iso: string | null): Node | string {
  if (iso === null) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return h('time', { datetime: iso, title: iso }, absolute(d));
}

function absolute(d: Date): string {
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'long' });
}

/** A time relative to now where that reads better (`3 min ago`, `in 2 h 05 min`), the full time in the tooltip. */
function ago(iso: string | null): Node | string {
  if (iso === null) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return h('time', { datetime: iso, title: absolute(d), 'data-ago': iso }, relative(d.getTime(), Date.now()));
}

function relative(at: number, now: number): string {
  const s = (at - now) / 1000;
  if (Math.abs(s) < 5) return 'just now';
  return s < 0 ? `${formatDuration(-s)} ago` : `in ${formatDuration(s)}`;
}

/** The next check, and beside it when the operation is expected to end. */
function nextAndEnd(run: RunModel): Node | string {
  if (run.nextCheckAt === null) return '—';
  return h(
    'span',
    { class: 'next' },
    next(run.nextCheckAt),
    run.nextCheckReason ? h('span', { class: 'why' }, ` (${run.nextCheckReason})`) : null,
    run.expectedEnd ? h('span', { class: 'eta' }, '; expected end ', ago(run.expectedEnd.at)) : null,
  );
}

/** The expected end with its range and basis. */
function expected(run: RunModel): Node | string {
  const e = run.expectedEnd;
  if (e === null) return run.active ? 'not estimated' : '—';
  const range =
    e.earliest && e.latest
      ? ` (likely between ${absolute(new Date(e.earliest))} and ${absolute(new Date(e.latest))})`
      : '';
  return h('span', { class: 'eta' }, when(e.at), ' — ', ago(e.at), range, e.basis ? `; from ${e.basis}` : '');
}

function reason(run: RunModel): string {
  return run.error ? `${run.error.code}: ${run.error.message}` : '';
}

function badge(state: string): HTMLElement {
  return h('span', { class: `badge s-${state}` }, state);
}

function bar(progress: number | null, label: string): HTMLElement {
  const p = h('progress', { max: '100', 'aria-label': label });
  if (progress !== null) (p as HTMLProgressElement).value = progress;
  return h(
    'span',
    { class: 'bar' },
    p,
    h('span', { class: 'pct' }, progress === null ? '' : `${Math.round(progress)}%`),
  );
}

function next(iso: string | null): Node | string {
  if (iso === null) return '—';
  return h('span', { 'data-next': iso }, countdown(iso, Date.now()));
}

function tickCountdowns(): void {
  const now = Date.now();
  for (const el of document.querySelectorAll<HTMLElement>('[data-next]')) {
    const text = countdown(el.dataset.next ?? null, now);
    if (el.textContent !== text) el.textContent = text;
  }
  for (const el of document.querySelectorAll<HTMLElement>('[data-ago]')) {
    const at = Date.parse(el.dataset.ago ?? '');
    const text = Number.isNaN(at) ? '' : relative(at, now);
    if (el.textContent !== text) el.textContent = text;
  }
  if (lastUpdated > 0 && !statusIsError) {
    const ago = Math.round((now - lastUpdated) / 1000);
    setStatus(`Updated ${ago < 2 ? 'just now' : `${ago} s ago`}; refreshes every ${REFRESH_MS / 1000} s.`, false);
  }
}

let lastUpdated = 0;
let statusIsError = false;
function setStatus(text: string, error: boolean): void {
  statusIsError = error;
  const el = byId('status');
  el.classList.toggle('error', error);
  if (el.textContent !== text) el.textContent = text;
}

function showAnswer(text: string, ok: boolean): void {
  const el = byId('answer');
  el.textContent = text;
  el.className = ok ? 'ok' : 'error';
}

/** Whether an answer is readable data; otherwise says why in the status line. */
function usable(answer: Answer, offer = ''): boolean {
  if (answer.status === 0) {
    setStatus('Cannot reach the app; retrying.', true);
    return false;
  }
  if (answer.status === 200) {
    lastUpdated = Date.now();
    statusIsError = false;
    return true;
  }
  setStatus(plainAnswer('read', offer, answer.status, answer.body).text, true);
  return false;
}

/** Replaces an element's children, keeping focus on the element with the same `data-focus` key. */
function replaceKeepingPlace(container: HTMLElement, children: Node[]): void {
  const active = document.activeElement;
  const focusKey = active instanceof HTMLElement && container.contains(active) ? active.dataset.focus : undefined;
  const open = new Set(
    [...container.querySelectorAll<HTMLDetailsElement>('details[open][data-focus]')].map((d) => d.dataset.focus),
  );
  container.replaceChildren(...children);
  for (const d of container.querySelectorAll<HTMLDetailsElement>('details[data-focus]')) {
    if (open.has(d.dataset.focus)) d.open = true;
  }
  if (focusKey) container.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focusKey)}"]`)?.focus();
}

// ---- runs list ----

let runs: RunModel[] = [];
let drawnList = '';

function runLink(run: RunModel): HTMLElement {
  return h('a', { href: `#/runs/${run.publisherId}/${run.offerId}`, 'data-focus': `link:${run.key}` }, run.key);
}

function drawList(): void {
  const state = byId<HTMLSelectElement>('state-filter').value;
  const search = byId<HTMLInputElement>('search').value.trim().toLowerCase();
  const shown = runs.filter(
    (r) =>
      (state === '' || (state === 'running' ? r.active : r.state === state)) &&
      (search === '' || r.key.toLowerCase().includes(search)),
  );
  const signature = JSON.stringify(shown);
  if (signature === drawnList) return;
  drawnList = signature;
  const rows = shown.map((run) =>
    h(
      'tr',
      { 'data-key': run.key },
      h('th', { scope: 'row', 'data-label': 'Offer' }, runLink(run)),
      h('td', { 'data-label': 'API' }, run.api),
      h(
        'td',
        { 'data-label': 'State' },
        badge(run.state),
        run.error ? h('span', { class: 'reason', title: reason(run) }, reason(run)) : null,
      ),
      h(
        'td',
        { 'data-label': 'Step' },
        h('span', { class: 'step' }, run.currentStep?.name ?? '—'),
        bar(run.progress, `Progress of ${run.key}`),
      ),
      h('td', { 'data-label': 'Started' }, when(run.startedAt)),
      h('td', { 'data-label': 'Last check' }, ago(run.lastCheckedAt)),
      h('td', { 'data-label': 'Next check' }, nextAndEnd(run)),
      h('td', { 'data-label': 'Requests' }, String(run.requestCount)),
    ),
  );
  replaceKeepingPlace(byId('runs-body'), rows);
  byId('runs-empty').hidden = shown.length > 0;
  byId('runs-count').textContent = `${shown.length} of ${runs.length} runs`;
}

async function refreshList(): Promise<void> {
  const answer = await call('?limit=200');
  if (!usable(answer)) return;
  runs = readRunList(answer.body);
  drawList();
}

// ---- one run ----

let current: { publisherId: string; offerId: string } | undefined;
let drawnRun = '';

function dl(pairs: [string, Node | string][]): HTMLElement {
  return h('dl', {}, ...pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function pre(value: unknown): HTMLElement {
  return h('pre', {}, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

function table(caption: string, head: string[], rows: (Node | string)[][]): HTMLElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', { 'data-label': head[i] }, c))))),
  );
}

let drawnRunModel: RunModel | undefined;

function apiSelect(id: string, selected: string): HTMLElement {
  return h(
    'select',
    { id, 'data-focus': id },
    h('option', { value: 'cpp', selected: selected === 'cpp' }, 'Cloud Partner Portal'),
    h('option', { value: 'productIngestion', selected: selected === 'productIngestion' }, 'Product Ingestion'),
  );
}

function drawRun(run: RunModel): void {
  const signature = JSON.stringify(run);
  if (signature === drawnRun) return;
  drawnRun = signature;
  drawnRunModel = run;
  const parts: Node[] = [];
  parts.push(
    h(
      'div',
      { class: 'run-head' },
      h('h2', { id: 'run-h', tabindex: '-1' }, run.key, ' ', badge(run.state)),
      run.active
        ? h('button', { type: 'button', id: 'cancel-run', class: 'danger', 'data-focus': 'cancel' }, 'Cancel')
        : h(
            'span',
            { class: 'again' },
            h('label', { for: 'again-api' }, 'API ', apiSelect('again-api', run.api)),
            h('button', { type: 'button', id: 'golive-again', 'data-focus': 'again' }, 'Go live'),
          ),
    ),
  );
  parts.push(bar(run.progress, `Progress of ${run.key}`));
  parts.push(
    dl([
      ['API', run.api + (run.productId ? ` (product ${run.productId})` : '')],
      ['Run', `${run.runNumber ?? '?'} (${run.runId})`],
      ['Operation', run.operationId ?? '—'],
      ['Partner status', run.operationStatus ?? '—'],
      ['Started', when(run.startedAt)],
      ['Go Live accepted', when(run.acceptedAt)],
      ['Last check', when(run.lastCheckedAt)],
      ['Next check', nextAndEnd(run)],
      ['Expected end', expected(run)],
      ['Checks', String(run.pollCount)],
      ['Deadline', when(run.deadlineAt)],
      ['Completed', when(run.completedAt)],
      ['Duration', run.durationSeconds === null ? '—' : formatDuration(run.durationSeconds)],
    ]),
  );
  parts.push(
    h('h3', {}, 'Steps'),
    run.steps.length
      ? h(
          'ol',
          { class: 'timeline' },
          ...run.steps.map((s) =>
            h(
              'li',
              { class: s.done ? 'done' : s === run.currentStep && run.active ? 'now' : '' },
              h('span', { class: 'step' }, s.name),
              ' ',
              badge(s.status),
              s.estimatedTimeFrame ? h('span', { class: 'estimate' }, ` estimated ${s.estimatedTimeFrame}`) : null,
              bar(s.progress, `Progress of step ${s.name}`),
            ),
          ),
        )
      : h('p', {}, 'No steps reported yet.'),
  );
  if (run.error) {
    parts.push(
      h(
        'section',
        { class: 'error-box', 'aria-labelledby': 'err-h' },
        h('h3', { id: 'err-h' }, 'Error'),
        dl([
          ['Code', run.error.code],
          ['Message', run.error.message],
          ['HTTP status', run.error.statusCode === null ? '—' : String(run.error.statusCode)],
        ]),
        run.error.body === null
          ? null
          : h(
              'details',
              { 'data-focus': 'error-body', open: true },
              h('summary', {}, 'Partner API error body'),
              pre(run.error.body),
            ),
      ),
    );
  }
  if (run.warnings.length) parts.push(h('h3', {}, 'Warnings'), h('ul', {}, ...run.warnings.map((w) => h('li', {}, w))));
  parts.push(
    h('h3', {}, 'Checks so far'),
    run.checks.length
      ? table(
          run.checks.length >= run.pollCount
            ? `All ${run.pollCount} reads of the operation, newest first; identical reads in a row share a row`
            : `The newest ${run.checks.length} of the run's ${run.pollCount} reads, newest first; identical reads in a row share a row`,
          ['Time', 'Status', 'Progress', 'Reads'],
          foldChecks(run.checks).map((c) => [
            c.count > 1 ? h('span', {}, when(c.at), ' – ', when(c.until)) : when(c.at),
            c.error ? `${c.status} (${c.error})` : c.status,
            c.progress === null ? '—' : `${c.progress}%`,
            c.count > 1 ? `× ${c.count}` : '1',
          ]),
        )
      : h('p', {}, 'No checks yet.'),
  );
  parts.push(
    h('h3', {}, 'Requests'),
    table(
      `${run.requestCount} request(s) this run took`,
      ['Request', 'By', 'Received'],
      run.requests.map((r) => [r.requestId, r.requestedBy ?? '—', when(r.receivedAt)]),
    ),
  );
  parts.push(
    h('h3', {}, 'Completion event'),
    run.completionEvent
      ? h(
          'details',
          { 'data-focus': 'event' },
          h('summary', {}, typeof run.completionEvent.type === 'string' ? run.completionEvent.type : 'event'),
          pre(run.completionEvent),
        )
      : h('p', {}, run.active ? 'Published when the run ends.' : 'None recorded.'),
  );
  parts.push(
    h('h3', {}, 'Previous runs'),
    run.previousRuns.length
      ? table(
          'Earlier runs of this offer, newest first',
          ['Run', 'Outcome', 'Started', 'Completed', 'Error'],
          run.previousRuns.map((p) => [
            String(p.runNumber ?? p.runId),
            badge(p.outcome),
            when(p.startedAt),
            when(p.completedAt),
            p.error ? `${p.error.code}: ${p.error.message}` : '—',
          ]),
        )
      : h('p', {}, 'None.'),
  );
  replaceKeepingPlace(byId('run'), parts);
}

async function refreshRun(): Promise<void> {
  if (!current) return;
  const offer = `${current.publisherId}/${current.offerId}`;
  const answer = await call(`/${current.publisherId}/${current.offerId}`);
  if (answer.status === 404) {
    drawnRun = '';
    byId('run').replaceChildren(
      h('h2', { id: 'run-h', tabindex: '-1' }, offer),
      h('p', {}, 'No run yet: it shows here once the request is taken.'),
    );
    lastUpdated = Date.now();
    return;
  }
  if (!usable(answer, offer)) return;
  const run = readRunModel(answer.body);
  if (run) drawRun(run);
}

// ---- actions ----

/** The API (and product) a Go Live of the offer uses: the offer's last run's, unless the reader chose. */
function lastRunOf(offer: string): RunModel | undefined {
  return runs.find((r) => r.key === offer);
}

async function goLive(offer: string, api: string, productId?: string | null): Promise<void> {
  const [publisherId, offerId] = offer.split('/');
  const body: Record<string, string> = { requestedBy: 'console' };
  if (api === 'cpp' || api === 'productIngestion') body.api = api;
  if (api === 'productIngestion' && productId) body.productId = productId;
  const answer = await call(`/${publisherId ?? ''}/${offerId ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const plain = plainAnswer('goLive', offer, answer.status, answer.body);
  showAnswer(answer.status === 0 ? 'Cannot reach the app.' : plain.text, plain.ok);
  if (plain.ok) location.hash = `#/runs/${publisherId}/${offerId}`;
}

function confirmCancel(offer: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  showAnswer('', true);
  byId('confirm-text').textContent =
    `The partner API is asked to cancel the go-live of ${offer}; the run ends canceled.`;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'cancel'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

async function cancel(): Promise<void> {
  if (!current) return;
  const offer = `${current.publisherId}/${current.offerId}`;
  if (!(await confirmCancel(offer))) {
    showAnswer('Not canceled.', true);
    return;
  }
  const answer = await call(`/${current.publisherId}/${current.offerId}/cancel`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requestedBy: 'console' }),
  });
  const plain = plainAnswer('cancel', offer, answer.status, answer.body);
  showAnswer(answer.status === 0 ? 'Cannot reach the app.' : plain.text, plain.ok);
  await refreshRun();
}

// ---- routing and refresh ----

function route(): void {
  const m = /^#\/runs\/([^/]+)\/([^/]+)$/.exec(location.hash);
  const runView = byId('run-view');
  const listView = byId('runs-view');
  if (m) {
    current = { publisherId: decodeURIComponent(m[1]!), offerId: decodeURIComponent(m[2]!) };
    drawnRun = '';
    byId('run').replaceChildren(h('p', {}, 'Loading…'));
    runView.hidden = false;
    listView.hidden = true;
    void refreshRun().then(() => byId('run-h')?.focus());
  } else {
    current = undefined;
    runView.hidden = true;
    listView.hidden = false;
    void refreshList();
  }
}

async function refresh(): Promise<void> {
  try {
    await (current ? refreshRun() : refreshList());
  } finally {
    setTimeout(() => void refresh(), REFRESH_MS);
  }
}

function start(): void {
  const select = byId<HTMLSelectElement>('state-filter');
  for (const s of STATE_FILTERS) select.append(h('option', { value: s }, s === 'running' ? 'running (any active)' : s));
  select.addEventListener('change', drawList);
  byId('search').addEventListener('input', drawList);
  byId('golive-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const offer = byId<HTMLInputElement>('offer-input').value.trim();
    const api = byId<HTMLSelectElement>('api-input').value;
    const last = lastRunOf(offer);
    void goLive(offer, api, last?.api === api ? last.productId : null);
  });
  // The API defaults to the offer's last run's once the offer is known.
  byId('offer-input').addEventListener('input', () => {
    const last = lastRunOf(byId<HTMLInputElement>('offer-input').value.trim());
    byId<HTMLSelectElement>('api-input').value =
      last && (last.api === 'cpp' || last.api === 'productIngestion') ? last.api : '';
  });
  byId('run').addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    if (target.id === 'cancel-run') void cancel();
    if (target.id === 'golive-again' && current) {
      const api = document.querySelector<HTMLSelectElement>('#again-api')?.value ?? '';
      void goLive(
        `${current.publisherId}/${current.offerId}`,
        api,
        drawnRunModel?.api === api ? drawnRunModel.productId : null,
      );
    }
  });
  window.addEventListener('hashchange', route);
  setInterval(tickCountdowns, 1_000);
  route();
  setTimeout(() => void refresh(), REFRESH_MS);
}

start();
