import { expect, test } from './fixtures';
import { createUser, newUser, signIn } from './support';

// The session token is in localStorage, so the app runs under a strict Content-Security-Policy
// (pkg/webassets/csp.go; CloudFront and the local balancer send it, and so does the harness).
// Any violation would be logged to the console, which fails every test (see fixtures.ts).

test('the app works under the Content-Security-Policy', async ({ page, request }) => {
  const user = newUser('Csp', 'Checked');
  await createUser(request, user);
  const violations: string[] = [];
  await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { reportViolation(v: string): void }).reportViolation(
        `${e.violatedDirective} ${e.blockedURI}`,
      ),
    ),
  );

  const res = await page.goto('/');
  expect(res?.headers()['content-security-policy']).toContain("script-src 'self';");
  await signIn(page, user.email, user.password);
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId('profile-name')).toHaveText('Csp Checked');
  // Styled: the stylesheet loaded (no inline onload handler needed to switch it on).
  expect(await page.evaluate(() => getComputedStyle(document.body).margin)).toBe('0px');
  expect(violations).toEqual([]);
});

test('an injected inline script is blocked', async ({ page, consoleErrors }) => {
  consoleErrors.allow(/^Executing inline script violates .* directive 'script-src 'self''/);
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  const outcome = await page.evaluate(
    () =>
      new Promise<{ ran: boolean; directive: string }>((resolve) => {
        document.addEventListener('securitypolicyviolation', (e) =>
          resolve({
            ran: (window as unknown as { injected?: boolean }).injected === true,
            directive: e.effectiveDirective,
          }),
        );
        const s = document.createElement('script');
        s.textContent = 'window.injected = true;';
        document.body.appendChild(s);
        // Without the policy an inserted inline script runs at once.
        if ((window as unknown as { injected?: boolean }).injected) {
          resolve({ ran: true, directive: '' });
        }
      }),
  );
  expect(outcome).toEqual({ ran: false, directive: 'script-src-elem' });
});
