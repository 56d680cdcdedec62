import { expect, expectAccessible, test } from './fixtures';
import { createUser, newUser, screenshot, signIn } from './support';

// Visits each main screen (desktop and phone projects) and, on each, checks that the browser
// console has no errors, runs axe-core, and saves a screenshot.
test('the main screens: no console errors, no accessibility problems, screenshots', async ({
  page,
  request,
  consoleErrors,
}, info) => {
  const user = newUser('Katherine', 'Johnson', 45);
  const minor = newUser('Sam', 'Minor', 15);
  await createUser(request, user);
  const minorId = await createUser(request, minor);
  const screen = async (name: string) => {
    consoleErrors.check(name);
    await expectAccessible(page, name);
    await screenshot(page, info, name);
  };

  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByTestId('backend-version')).toBeVisible();
  await screen('01-sign-in');

  await page.goto('/sign-up');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#signup-email-error')).toBeVisible();
  await screen('02-sign-up-errors');

  // The browser logs the API's 401 answer to a wrong password: expected here.
  consoleErrors.allowHttpErrors(401);
  await signIn(page, user.email, 'wrong password', { expectFailure: true });
  await expect(page.getByTestId('sign-in-error')).toBeVisible();
  await screen('03-sign-in-wrong-password');

  await signIn(page, user.email, user.password);
  await expect(page.getByTestId('profile-name')).toBeVisible();
  await screen('04-profile');

  await page.getByRole('button', { name: 'Edit details' }).click();
  await expect(page.getByLabel('First name')).toBeVisible();
  await screen('05-profile-edit');

  await page.goto('/profile/password');
  await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
  await screen('06-change-password');

  await page.goto('/users');
  await expect(page.getByLabel('Member number')).toBeVisible();
  await screen('07-people');

  await page.goto(`/users/${minorId}`);
  await expect(page.getByTestId('public-name')).toHaveText('Sam M.');
  await screen('08-public-profile');

  consoleErrors.allowHttpErrors(404);
  await page.goto('/users/987654321');
  await expect(page.getByTestId('user-not-found')).toBeVisible();
  await screen('09-user-not-found');

  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await screen('10-page-not-found');
});
