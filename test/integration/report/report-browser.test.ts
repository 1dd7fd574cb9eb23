// The HTML reports in a real browser: Debian's Chromium driven by playwright-core, one browser for
// the file. Each page loads from file:// with no console error and no request, renders every
// diagram to a non-empty SVG, and the failing pages show their failures. Screenshots of the
// pages are kept in test-artifacts/report/ for people to look at.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, DEFAULT_CHROMIUM } from '../../../harness/diagram/render-diagrams.js';
import { writeCheckHtml, writeRunHtml } from '../../../harness/report/index.js';
import { failingCheck, failingRun, greenRun } from './fixtures.js';

const haveChromium = existsSync(DEFAULT_CHROMIUM);
if (!haveChromium)
  console.log(`skipping the browser tests of the HTML report: no Chromium at ${DEFAULT_CHROMIUM} (apt-get install chromium)`);

const artifacts = join('test-artifacts', 'report');

/** Longest wait for a page to load and render, on a loaded machine. */
const DEADLINE = 150_000;

/** Text without whitespace: SVG text wraps into lines whose text content joins without spaces. */
const squash = (text: string | null) => (text ?? '').replace(/\s+/g, '');

/** What the page's script sets when it is done (the test files are typed without the DOM library). */
interface PageGlobals {
  document: { body: { dataset: { diagrams?: string } } | null };
}

/** What a page did while it loaded and rendered. */
interface Loaded {
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Requests that failed, and any request that left the file (the page must make none). */
  requests: string[];
}

describe.skipIf(!haveChromium)('HTML reports in Chromium', () => {
  let browser: Browser;
  let dir: string;
  const pages: Record<'green' | 'failing' | 'check', string> = { green: '', failing: '', check: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sanspec-report-'));
    mkdirSync(artifacts, { recursive: true });
    const green = greenRun();
    const failing = failingRun();
    pages.green = await writeRunHtml(green.report, join(dir, 'green'), { plan: green.plan });
    pages.failing = await writeRunHtml(failing.report, join(dir, 'failing'), { plan: failing.plan });
    pages.check = await writeCheckHtml([failingCheck()], join(dir, 'check'));
    browser = await chromium.launch({ executablePath: DEFAULT_CHROMIUM, args: [...CHROMIUM_ARGS] });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a page from file:// and waits until its script has rendered every diagram (or given up). */
  async function open(file: string): Promise<Loaded> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    const url = pathToFileURL(file).href;
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => requests.push(`failed: ${r.url().slice(0, 120)}`));
    page.on('request', (r) => {
      if (r.url() !== url && !r.url().startsWith('data:')) requests.push(r.url().slice(0, 120));
    });
    // Parsing the inlined Mermaid (5.5 MB) takes a second on an idle machine and much longer on a
    // loaded one: wait for the page's own signal, with a deadline, rather than the load event.
    await page.goto(url, { waitUntil: 'commit', timeout: DEADLINE });
    await page.waitForFunction(
      () => {
        const state = (globalThis as unknown as PageGlobals).document.body?.dataset.diagrams;
        return state !== undefined && state !== 'pending';
      },
      null,
      { timeout: DEADLINE },
    );
    return { page, errors, requests };
  }

  /** Every diagram container with the size of its SVG. */
  const diagrams = (page: Page) =>
    page.$$eval('.diagram', (boxes) =>
      boxes.map((box) => {
        const svg = box.querySelector('svg');
        const size = svg?.getBoundingClientRect();
        return {
          id: box.getAttribute('data-diagram'),
          width: Math.round(size?.width ?? 0),
          height: Math.round(size?.height ?? 0),
          shapes: svg?.querySelectorAll('path, rect, text').length ?? 0,
        };
      }),
    );

  function expectAllRendered(list: Awaited<ReturnType<typeof diagrams>>, ids: string[]) {
    expect(list.map((d) => d.id)).toEqual(ids);
    for (const d of list) {
      expect(d.width, `${d.id} width`).toBeGreaterThan(100);
      expect(d.height, `${d.id} height`).toBeGreaterThan(100);
      expect(d.shapes, `${d.id} shapes`).toBeGreaterThan(5);
    }
  }

  it('renders a green run with no console error and no request, every diagram an SVG, the arrows coloured', async () => {
    const { page, errors, requests } = await open(pages.green);
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body?.dataset.diagrams)).toBe('rendered');
      expect(await page.locator('.verdict').textContent()).toBe('PASSED');
      expectAllRendered(await diagrams(page), ['coverage-server', 'coverage-port', 'coverage-path', 'coverage-single', 'coverage-mirror']);
      // Every labelled arrow of the coverage diagrams was found and coloured, taken or not.
      const coloured = await page.$$eval('#coverage', ([s]) => ({
        taken: s!.querySelectorAll('path.edge-taken').length,
        untaken: s!.querySelectorAll('path.edge-untaken').length,
      }));
      expect(coloured.taken).toBeGreaterThan(10);
      expect(coloured.untaken).toBeGreaterThan(5);
      await page.screenshot({ path: join(artifacts, 'green-run.png'), fullPage: true });
    } finally {
      await page.close();
    }
  }, 240_000);

  it('shows the failures of a failing run: rule, path, steps and evidence, with the path drawn', async () => {
    const { page, errors, requests } = await open(pages.failing);
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(await page.locator('.verdict').textContent()).toBe('FAILED: 2 of 7 paths');
      expectAllRendered(await diagrams(page), [
        'failure-0',
        'failure-1',
        'coverage-server',
        'coverage-port',
        'coverage-path',
        'coverage-single',
        'coverage-mirror',
      ]);
      const [cf1, ds1] = await page.locator('article.failure').all();
      expect(await cf1!.locator('h3').textContent()).toBe(
        'CF-1path min-5e6f7a8b (minimized from components-1b2c3d4e), after step 3 (start s2)',
      );
      await expect
        .poll(() => cf1!.locator('.evidence').textContent())
        .toContain('virtualDisks[m1].copies[s2].dataStatusinLogRecoveryupToDate');
      const cf1Diagram = squash(await cf1!.locator('.diagram svg').textContent());
      expect(cf1Diagram).toContain(squash('3. start s2'));
      expect(cf1Diagram).toContain(squash('virtualDisks[m1].copies[s2].dataStatus: model inLogRecovery, system upToDate'));
      expect(await cf1!.locator('pre.replay').textContent()).toContain('sanspec run --replay');
      expect(await ds1!.locator('h3').textContent()).toBe('DS-1path components-2c3d4e5f, in the final checks');
      const ds1Diagram = squash(await ds1!.locator('.diagram svg').textContent());
      expect(ds1Diagram).toContain(squash('write #41 m1 block 7'));
      expect(ds1Diagram).toContain(squash('read #97 m1 block 7 → write 40'));
      expect(await ds1!.locator('.evidence table').first().textContent()).toContain('41write7write 41ok');
      await cf1!.screenshot({ path: join(artifacts, 'failing-run-cf1.png') });
      await ds1!.screenshot({ path: join(artifacts, 'failing-run-ds1.png') });
      await page.screenshot({ path: join(artifacts, 'failing-run.png'), fullPage: true });
    } finally {
      await page.close();
    }
  }, 240_000);

  it('shows a model violation: the trace drawn and the violating state marked on the machines', async () => {
    const { page, errors, requests } = await open(pages.check);
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(await page.locator('.verdict').textContent()).toBe('1 VIOLATION');
      const list = await diagrams(page);
      expect(list[0]!.id).toBe('violation-0');
      expectAllRendered(
        list,
        list.map((d) => d.id!),
      );
      expect(squash(await page.locator('[data-diagram="violation-0"] svg').textContent())).toContain(
        squash('copy m1@s1 needs log recovery'),
      );
      // The mirror's state at the violation is drawn as current.
      expect(await page.locator('[data-diagram="violation-0-mirror"] g.node.current').count()).toBeGreaterThan(0);
      await page.screenshot({ path: join(artifacts, 'check-violation.png'), fullPage: true });
    } finally {
      await page.close();
    }
  }, 240_000);
});
