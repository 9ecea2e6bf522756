/**
 * The console (`GET /api/console`) in a real browser (Debian Chromium + playwright-core) against the BUILT app in
 * the local host with its Durable backend, Azurite and the partner API simulator; the host requires a function key
 * as Azure does. Prints the page weight and the time from an operation's change to the page showing it.
 */
import { mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';

import type { Browser, Page } from 'playwright-core';

import { enqueue } from '../support/azurite';
import { waitFor } from '../support/wait';
import { launchChromium } from './support/browser';
import { APP_DIR, type GoLiveStack, startGoLiveStack } from './support/goLiveStack';

jest.setTimeout(120_000);

const KEY = 'console-test-key-4f1c9a';
const SCREENSHOTS = path.join(APP_DIR, 'tmp', 'e2e');
let stack: GoLiveStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startGoLiveStack({
      hubName: 'console',
      durationMs: 4_000,
      functionKey: KEY,
      offers: [
        ['console', 'ok-offer'],
        ['console', 'fail-offer', { outcome: 'failed' }],
        ['console', 'long-offer', { durationMs: 600_000 }],
        // Steps all done but the last, which stays at 99% (identical reads); each step estimated "< 1 day".
        ['console', 'stuck-offer', { durationMs: 3_000, neverEnds: true, stepTimeFrame: '< 1 day' }],
      ],
    }),
    launchChromium(),
  ]);
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A page that records every URL it requests (the console may only call its own origin). */
async function openConsole(): Promise<{ page: Page; requested: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  const response = await page.goto(`${stack.base}/api/console?code=${KEY}`);
  expect(response?.status()).toBe(200);
  return { page, requested };
}

function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('console', () => {
  it('is light: under 100 KB over the wire, gzip when asked', async () => {
    const gz = await rawGet(`${stack.base}/api/console?code=${KEY}`, { 'accept-encoding': 'gzip, deflate, br' });
    const plain = await rawGet(`${stack.base}/api/console?code=${KEY}`, {});
    expect(gz.status).toBe(200);
    expect(gz.bytes).toBeLessThan(plain.bytes);
    expect(gz.bytes).toBeLessThan(100 * 1024);
    console.log(
      `console page weight: ${gz.bytes} bytes gzip over the wire (${plain.bytes} bytes uncompressed); goal < 102400`,
    );
  });

  it('shows an enqueued run moving to succeeded, with its steps, checks and completion event', async () => {
    const { page, requested } = await openConsole();
    await enqueue(stack.azurite.connectionString, 'golive-requests', {
      publisherId: 'console',
      offerId: 'ok-offer',
      requestId: 'console-ok-1',
      requestedBy: 'e2e',
    });
    const row = page.locator('#runs-body tr[data-key="console/ok-offer"]');
    await row.waitFor({ timeout: 30_000 });
    await row.getByRole('link', { name: 'console/ok-offer' }).click();
    await page.locator('#run-h .badge', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    const shownAt = Date.now();

    const post = stack.sim.admin.requests({ method: 'POST', offerId: 'ok-offer' }).find((r) => r.status === 202);
    expect(post).toBeDefined();
    const operationEndedAt = Date.parse(post!.time) + 4_000;
    console.log(
      `operation change to console: ${((shownAt - operationEndedAt) / 1000).toFixed(1)} s ` +
        '(poll interval 1-2 s + page refresh 3 s)',
    );

    await expect(page.locator('ol.timeline li').count()).resolves.toBeGreaterThan(1);
    await expect(page.locator('ol.timeline li.done').count()).resolves.toBe(
      await page.locator('ol.timeline li').count(),
    );
    // The run is succeeded once the offer is live; its completion event is written just after and shown on refresh.
    await page.locator('#run', { hasText: /golive\.succeeded/ }).waitFor({ timeout: 30_000 });
    const text = await page.locator('#run').innerText();
    expect(text).toContain('console-ok-1');
    expect(text).toContain('Checks so far');
    expect(text).toMatch(/golive\.succeeded/);
    await page.getByRole('link', { name: '← All runs' }).click();
    await page.locator('#runs-body tr[data-key="console/ok-offer"] .badge', { hasText: 'succeeded' }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-list.png') });

    const origin = new URL(stack.base).origin;
    expect(requested.every((u) => new URL(u).origin === origin)).toBe(true);
    expect(await page.content()).not.toContain(KEY);
    await page.close();
  });

  it('shows the partner error of a failed run requested with "Go live"', async () => {
    const { page } = await openConsole();
    await page.getByLabel('Offer (publisherId/offerId)').fill('console/fail-offer');
    await page.getByRole('button', { name: 'Go live' }).click();
    await page.locator('#answer', { hasText: /Go-live requested for console\/fail-offer/ }).waitFor();
    await page.locator('#run-h .badge', { hasText: 'failed' }).waitFor({ timeout: 60_000 });
    const error = await page.locator('.error-box').innerText();
    expect(error).toContain('Live failed');
    expect(error).toMatch(/Code\s+\S+/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-failed.png'), fullPage: true });
    await page.close();
  });

  it('shows time as a person reads it: dates with zones, progress under 100% while running, folded checks, the expected end, the failure reason, the API', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'en-US', timezoneId: 'UTC' });
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.postData() ?? '');
    });
    await page.goto(`${stack.base}/api/console?code=${KEY}`);
    // The API is chosen in the form; the POST carries it.
    await page.getByLabel('Offer (publisherId/offerId)').fill('console/stuck-offer');
    await page.getByLabel('API').selectOption('cpp');
    await page.getByRole('button', { name: 'Go live' }).click();
    await page.locator('#run-h .badge', { hasText: 'polling' }).waitFor({ timeout: 30_000 });
    expect(posts.map((b) => JSON.parse(b) as { api?: string })).toEqual([{ requestedBy: 'console', api: 'cpp' }]);

    // Identical reads fold into one row with their count.
    await page
      .locator('#run td', { hasText: /^× [2-9]/ })
      .first()
      .waitFor({ timeout: 60_000 });
    const run = page.locator('#run');
    const text = await run.innerText();
    // Dates with year and zone, not a bare "2:11:13 AM".
    const started = await run.locator('dt:text-is("Started") + dd').innerText();
    expect(started).toMatch(/\b20\d\d\b/);
    expect(started).toMatch(/\bUTC\b/);
    // Still running: below 100%, whatever the steps say.
    const pct = await run.locator(':scope > .bar .pct').innerText();
    expect(Number.parseInt(pct, 10)).toBeLessThan(100);
    // The expected end beside the next check, and its basis.
    const next = await run.locator('dt:text-is("Next check") + dd').innerText();
    expect(next).toMatch(/in \d+ s|due now/);
    expect(next).toMatch(/expected end in \d+ h/);
    expect(await run.locator('dt:text-is("Expected end") + dd').innerText()).toContain('estimatedTimeFrame "< 1 day"');
    expect(text).toContain('estimated < 1 day');
    expect(text).not.toMatch(/The last \d+ of \d+ reads/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-times.png'), fullPage: true });

    // The list: the expected end beside the next check, and a failed run's reason.
    await page.getByRole('link', { name: '← All runs' }).click();
    const stuck = page.locator('#runs-body tr[data-key="console/stuck-offer"]');
    await stuck.waitFor({ timeout: 15_000 });
    expect(await stuck.locator('td[data-label="Next check"]').innerText()).toMatch(/expected end in \d+ h/);
    const failed = page.locator('#runs-body tr[data-key="console/fail-offer"]');
    await failed.locator('.badge', { hasText: 'failed' }).waitFor({ timeout: 60_000 });
    expect(await failed.locator('td[data-label="State"]').innerText()).toContain('Live failed');
    // Typing an offer that ran before selects its last run's API.
    await page.getByLabel('API').selectOption('');
    await page.getByLabel('Offer (publisherId/offerId)').fill('console/fail-offer');
    expect(await page.getByLabel('API').inputValue()).toBe('cpp');
    await page.close();
  });

  it('cancels a long run from the keyboard, after a confirmation, and the run ends canceled', async () => {
    const { page } = await openConsole();
    await page.getByLabel('Offer (publisherId/offerId)').fill('console/long-offer');
    await page.keyboard.press('Enter');
    await page.locator('#run-h .badge', { hasText: 'polling' }).waitFor({ timeout: 30_000 });
    await page.locator('ol.timeline li').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console.png') });

    await page.locator('#cancel-run').focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Cancel the go-live?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape'); // backing out keeps the run
    await page.locator('#answer', { hasText: 'Not canceled.' }).waitFor();
    await page.locator('#cancel-run').focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Tab'); // from "Keep it running" to "Cancel the go-live"
    await page.keyboard.press('Enter');
    await page.locator('#answer', { hasText: /Cancel sent/ }).waitFor({ timeout: 15_000 });
    await page.locator('#run-h .badge', { hasText: 'canceled' }).waitFor({ timeout: 60_000 });
    const cancels = stack.sim.admin.requests({ method: 'POST', offerId: 'long-offer', pathIncludes: 'cancel' });
    expect(cancels.length).toBeGreaterThanOrEqual(1);
    await page.close();
  });

  it('refuses a bad key, and the page never shows the key', async () => {
    const page = await browser.newPage();
    // The host answers 401 with no body, as Azure does; Chromium shows its own error page for it.
    const statusOf = async (url: string): Promise<number> => {
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${stack.base}/api/console`)),
        page.goto(url).catch(() => null),
      ]);
      return response.status();
    };
    expect(await statusOf(`${stack.base}/api/console?code=wrong-key`)).toBe(401);
    expect(await page.locator('#runs').count()).toBe(0);
    expect(await statusOf(`${stack.base}/api/console`)).toBe(401);
    const api = await fetch(`${stack.base}/api/golive`, { headers: { 'x-functions-key': 'wrong-key' } });
    expect(api.status).toBe(401);
    await page.close();
    const { page: good } = await openConsole();
    await good.locator('#status', { hasText: /Updated/ }).waitFor({ timeout: 15_000 });
    expect(await good.locator('body').innerText()).not.toContain(KEY);
    await good.close();
  });

  it('is readable on a phone: the runs become cards', async () => {
    await enqueue(stack.azurite.connectionString, 'golive-requests', { publisherId: 'console', offerId: 'fail-offer' });
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${stack.base}/api/console?code=${KEY}`);
    const row = page.locator('#runs-body tr').first();
    await row.waitFor({ timeout: 30_000 });
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('body *')]
        .filter((el) => el.getBoundingClientRect().right > 391)
        .map((el) => `${el.tagName}#${el.id}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`),
    );
    expect(wide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.close();
  });
});

// The run detail keeps the reader's place: waitFor a refresh and check focus stays.
describe('console refresh', () => {
  it('keeps focus on the link the reader is on across refreshes', async () => {
    const { page } = await openConsole();
    const link = page.locator('#runs-body a').first();
    await link.waitFor({ timeout: 15_000 });
    await link.focus();
    const focused = await link.getAttribute('data-focus');
    // Make a change to the list (a new run) so the table redraws, then check focus stayed on the same run.
    await enqueue(stack.azurite.connectionString, 'golive-requests', { publisherId: 'console', offerId: 'ok-offer' });
    await waitFor(
      async () => (await page.locator('#runs-body .badge', { hasText: /submitting|polling/ }).count()) > 0,
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        what: 'the list to redraw with the new run',
      },
    );
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.focus)).toBe(focused);
    await page.close();
  });
});
