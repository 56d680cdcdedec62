import { Page, test as base, expect } from '@playwright/test';
import type { AxeResults } from 'axe-core';
import { readFileSync } from 'node:fs';

/**
 * Every test fails when the browser console shows an error or the page throws: a problem a
 * person would never see must not hide there. Chromium also logs each non-2xx response as
 * "Failed to load resource"; a test that provokes one on purpose (a wrong password, the API
 * being down) names its statuses with allowHttpErrors.
 */
export interface ConsoleErrors {
  /** Accepts the browser's log line for responses with these HTTP statuses. */
  allowHttpErrors(...statuses: number[]): void;
  /** Accepts other lines the test causes on purpose (a request it aborts). */
  allow(pattern: RegExp): void;
  /** Fails now if anything unexpected was logged so far (the test ends with this check too). */
  check(where: string): void;
}

export const test = base.extend<{ consoleErrors: ConsoleErrors }>({
  consoleErrors: [
    async ({ page }, use) => {
      const seen: string[] = [];
      const allowed = new Set<number>();
      const patterns: RegExp[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') seen.push(m.text());
      });
      page.on('pageerror', (e) => seen.push(`uncaught: ${e.message}`));
      const unexpected = () =>
        seen.filter((text) => {
          const m = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(
            text,
          );
          return !(m && allowed.has(Number(m[1]))) && !patterns.some((p) => p.test(text));
        });
      await use({
        allowHttpErrors: (...statuses) => statuses.forEach((s) => allowed.add(s)),
        allow: (pattern) => patterns.push(pattern),
        check: (where) => expect(unexpected(), `browser console errors on ${where}`).toEqual([]),
      });
      expect(unexpected(), 'browser console errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

// axe-core is a dev dependency, injected into the page under test only: never in the bundle.
let axeSource: string | undefined;

/** Runs axe-core (WCAG 2.2 A and AA, and best practices) on the page as it is now. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol: the page's Content-Security-Policy blocks the
  // inline <script> addScriptTag would add, as it should.
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(o: object): Promise<AxeResults> } }).axe.run({
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'],
      },
    }),
  );
  const problems = results.violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(problems, `accessibility problems on ${where}`).toEqual([]);
}
