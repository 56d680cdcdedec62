import { expect, test } from '@playwright/test';
import { createUser, newUser, screenshot, signIn, startBackend, stopBackend } from './support';

test('the API going down and coming back: the app says so, then recovers by itself', async ({
  page,
  request,
}, info) => {
  const user = newUser('Margaret', 'Hamilton');
  await createUser(request, user);
  await signIn(page, user.email, user.password);
  await expect(page.getByTestId('profile-name')).toHaveText('Margaret Hamilton');
  const statusBar = page.getByTestId('status-bar');
  await expect(statusBar.getByTestId('backend-version')).toHaveText('e2e-1');

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
    await startBackend(request, 'e2e-2');
  }

  // No reload, no click: the page loads on its own, and the status bar shows the new version.
  await expect(page.getByTestId('public-name')).toHaveText('Margaret Hamilton', {
    timeout: 20_000,
  });
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(statusBar.getByTestId('backend-version')).toHaveText('e2e-2');
  await expect(statusBar).toContainText('updated from e2e-1');
  await expect(statusBar).not.toContainText('unreachable');

  // And a page loaded from scratch while the API is down says so too.
  try {
    await stopBackend(request);
    await page.reload();
    await expect(page.getByRole('alert')).toContainText("The service can't be reached right now.");
    await expect(statusBar).toContainText('Service unreachable');
  } finally {
    await startBackend(request, 'e2e-2');
  }
  await expect(page.getByTestId('public-name')).toHaveText('Margaret Hamilton', {
    timeout: 20_000,
  });
});
