import { expect, test } from './fixtures';
import { createUser, newUser, signIn } from './support';

test('a rollout: the status bar shows the new version, with no error on the page', async ({
  page,
  request,
}) => {
  const user = newUser('Barbara', 'Rollout');
  await createUser(request, user);
  await signIn(page, user.email, user.password);
  const statusBar = page.getByTestId('status-bar');
  const version = statusBar.getByTestId('backend-version');
  await expect(version).toHaveText(/.+/);
  const before = await version.textContent();

  // Record anything a person would notice: a failed or 5xx API call, or the status bar
  // ever saying "unreachable".
  const problems: string[] = [];
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 500) problems.push(`${r.status()}: ${r.url()}`);
  });
  await page.evaluate(() => {
    const bar = document.querySelector('[data-testid=status-bar]')!;
    new MutationObserver(() => {
      if (bar.textContent?.includes('unreachable')) document.body.dataset['sawUnreachable'] = 'yes';
    }).observe(bar, { subtree: true, childList: true, characterData: true });
  });

  const next = `${before}-next`;
  const res = await request.post('/__e2e/backend/rollout', { data: { appVersion: next } });
  expect(res.status(), await res.text()).toBe(204);

  await expect(version).toHaveText(next);
  await expect(statusBar).toContainText(`updated from ${before}`);
  // The page keeps working on the new version.
  await page.getByRole('link', { name: 'See your public profile' }).click();
  await expect(page.getByTestId('public-name')).toHaveText('Barbara R.');

  expect(problems).toEqual([]);
  expect(await page.evaluate(() => document.body.dataset['sawUnreachable'])).toBeUndefined();
});
