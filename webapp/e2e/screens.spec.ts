import { expect, test } from '@playwright/test';
import { createUser, newUser, screenshot, signIn } from './support';

// Visits each main screen and saves a screenshot of it (desktop and phone projects).
test('screenshots of the main screens', async ({ page, request }, info) => {
  const user = newUser('Katherine', 'Johnson', 45);
  const minor = newUser('Sam', 'Minor', 15);
  await createUser(request, user);
  const minorId = await createUser(request, minor);

  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByTestId('backend-version')).toBeVisible();
  await screenshot(page, info, '01-sign-in');

  await page.goto('/sign-up');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#signup-email-error')).toBeVisible();
  await screenshot(page, info, '02-sign-up-errors');

  await signIn(page, user.email, 'wrong password', { expectFailure: true });
  await expect(page.getByTestId('sign-in-error')).toBeVisible();
  await screenshot(page, info, '03-sign-in-wrong-password');

  await signIn(page, user.email, user.password);
  await expect(page.getByTestId('profile-name')).toBeVisible();
  await screenshot(page, info, '04-profile');

  await page.getByRole('button', { name: 'Edit details' }).click();
  await expect(page.getByLabel('First name')).toBeVisible();
  await screenshot(page, info, '05-profile-edit');

  await page.goto('/profile/password');
  await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
  await screenshot(page, info, '06-change-password');

  await page.goto('/users');
  await expect(page.getByLabel('Member number')).toBeVisible();
  await screenshot(page, info, '07-people');

  await page.goto(`/users/${minorId}`);
  await expect(page.getByTestId('minor-notice')).toBeVisible();
  await screenshot(page, info, '08-public-profile-minor');

  await page.goto('/users/987654321');
  await expect(page.getByTestId('user-not-found')).toBeVisible();
  await screenshot(page, info, '09-user-not-found');
});
