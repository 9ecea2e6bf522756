/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The console's script (runs in the browser; `page.ts` inlines it). It reads the HTTP API with the function key
 * the page was opened with (`?code=`, sent as `x-functions-key`), never shows the key, and refreshes every few
 * seconds, redrawing only what changed so the reader keeps their place (focus, scroll, open details).
 */
import { countdown, formatDuration, plainAnswer } from './answers';
import { readRunList, readRunModel, type RunModel, STATE_FILTERS } from './runModel';

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

function when(iso: string | null): Node | string {
  if (iso === null) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date().toDateString() === d.toDateString();
  return h('time', { datetime: iso, title: iso }, today ? d.toLocaleTimeString() : d.toLocaleString());
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
      h('td', { 'data-label': 'State' }, badge(run.state)),
      h(
        'td',
        { 'data-label': 'Step' },
        h('span', { class: 'step' }, run.currentStep?.name ?? '—'),
        bar(run.progress, `Progress of ${run.key}`),
      ),
      h('td', { 'data-label': 'Started' }, when(run.startedAt)),
      h('td', { 'data-label': 'Last check' }, when(run.lastCheckedAt)),
      h('td', { 'data-label': 'Next check' }, next(run.nextCheckAt)),
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

function drawRun(run: RunModel): void {
  const signature = JSON.stringify(run);
  if (signature === drawnRun) return;
  drawnRun = signature;
  const parts: Node[] = [];
  parts.push(
    h(
      'div',
      { class: 'run-head' },
      h('h2', { id: 'run-h', tabindex: '-1' }, run.key, ' ', badge(run.state)),
      run.active
        ? h('button', { type: 'button', id: 'cancel-run', class: 'danger', 'data-focus': 'cancel' }, 'Cancel')
        : h('button', { type: 'button', id: 'golive-again', 'data-focus': 'again' }, 'Go live'),
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
      ['Next check', next(run.nextCheckAt)],
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
          `The last ${run.checks.length} of ${run.pollCount} reads of the operation`,
          ['Time', 'Status', 'Progress'],
          [...run.checks]
            .reverse()
            .map((c) => [
              when(c.at),
              c.error ? `${c.status} (${c.error})` : c.status,
              c.progress === null ? '—' : `${c.progress}%`,
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

async function goLive(offer: string): Promise<void> {
  const [publisherId, offerId] = offer.split('/');
  const answer = await call(`/${publisherId ?? ''}/${offerId ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requestedBy: 'console' }),
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
    void goLive(byId<HTMLInputElement>('offer-input').value.trim());
  });
  byId('run').addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    if (target.id === 'cancel-run') void cancel();
    if (target.id === 'golive-again' && current) void goLive(`${current.publisherId}/${current.offerId}`);
  });
  window.addEventListener('hashchange', route);
  setInterval(tickCountdowns, 1_000);
  route();
  setTimeout(() => void refresh(), REFRESH_MS);
}

start();
