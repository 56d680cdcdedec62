import { expect, test } from './fixtures';
import { createUser, newUser, screenshot, signIn, startBackend, stopBackend } from './support';

test('the API going down and coming back: the app says so, then recovers by itself', async ({
  page,
  request,
  consoleErrors,
}, info) => {
  // What the load balancer answers while no backend is there.
  consoleErrors.allowHttpErrors(502);
  const user = newUser('Margaret', 'Hamilton');
  await createUser(request, user);
  await signIn(page, user.email, user.password);
  await expect(page.getByTestId('profile-name')).toHaveText('Margaret Hamilton');
  const statusBar = page.getByTestId('status-bar');
  const version = statusBar.getByTestId('backend-version');
  await expect(version).toHaveText(/.+/);
  const before = (await version.textContent())!;
  const after = `${before}-restarted`;

  try {
    await stopBackend(request);
    await expect(statusBar).toContainText('Service unreachable');

    // A page opened while the API is down explains itself instead of staying blank.
    await page.getByRole('link', { name: 'See your public profile' }).click();
    const alert = page.getByRole('alert');
    await expect(alert).toContainText("The service can't be reached right now.");
    await expect(alert).toContainText("We'll try again automatically");
    await screenshot(page, info, 'unreachable');
  } finally {
    // The next release comes up on the same database, so the session is still valid.
    await startBackend(request, after);
  }

  // No reload, no click: the page loads on its own, and the status bar shows the new version.
  await expect(page.getByTestId('public-name')).toHaveText('Margaret H.', {
    timeout: 20_000,
  });
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(version).toHaveText(after);
  await expect(statusBar).toContainText(`updated from ${before}`);
  await expect(statusBar).not.toContainText('unreachable');

  // And a page loaded from scratch while the API is down says so too.
  try {
    await stopBackend(request);
    await page.reload();
    await expect(page.getByRole('alert')).toContainText("The service can't be reached right now.");
    await expect(statusBar).toContainText('Service unreachable');
  } finally {
    await startBackend(request, after);
  }
  await expect(page.getByTestId('public-name')).toHaveText('Margaret H.', {
    timeout: 20_000,
  });
});

test('a page whose code cannot be fetched (a new release replaced it) loads afresh', async ({
  page,
  request,
  consoleErrors,
}) => {
  const user = newUser('Frances', 'Allen');
  await createUser(request, user);
  await signIn(page, user.email, user.password);
  await expect(page.getByTestId('profile-name')).toHaveText('Frances Allen');

  // The People page's code is fetched on first use: make that fetch fail once.
  let failed = '';
  await page.route('**/chunk-*.js', (route) => {
    if (failed) return route.continue();
    failed = route.request().url();
    return route.abort();
  });
  consoleErrors.allow(/^Failed to load resource: net::ERR_FAILED$/);
  await page.getByRole('link', { name: 'People' }).click();

  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByLabel('Member number')).toBeVisible();
  expect(failed).not.toBe('');
  await expect(page.getByTestId('unexpected-failure')).toHaveCount(0);
});
