import { expect, test } from './fixtures';
import { createUser, newUser, signIn, signOut } from './support';

test('sign up, sign out, sign in', async ({ page }) => {
  const user = newUser('Grace', 'Hopper');
  await page.goto('/');
  // Signed-out visitors land on plain sign-in: they asked for no page, so no notice.
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.locator('main .notice')).toHaveCount(0);
  await page.getByRole('link', { name: 'Create an account' }).click();

  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByLabel('First name').fill(user.firstName);
  await page.getByLabel('Last name').fill(user.lastName);
  await page.getByLabel('Birth date').fill(user.birthDate);
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText('Welcome, Grace! Your account is ready.')).toBeVisible();
  await expect(page.getByTestId('profile-name')).toHaveText('Grace Hopper');
  await expect(page.getByText(user.email)).toBeVisible();

  await signOut(page);
  await expect(page.getByText('You have signed out.')).toBeVisible();
  // Signed-out pages are guarded.
  await page.goto('/profile');
  await expect(page).toHaveURL(/\/sign-in\?returnUrl=%2Fprofile$/);
  await expect(page.getByText('Sign in to see your profile.')).toBeVisible();

  await signIn(page, user.email, user.password);
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId('profile-name')).toHaveText('Grace Hopper');
});

test('sign-up shows errors next to the fields, including a taken email', async ({
  page,
  request,
  consoleErrors,
}) => {
  consoleErrors.allowHttpErrors(409);
  const existing = newUser('Taken', 'Already');
  await createUser(request, existing);

  await page.goto('/sign-up');
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Birth date').fill('2999-01-01');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#signup-email-error')).toHaveText(/Enter your email/);
  await expect(page.locator('#signup-password-error')).toHaveText(/8 to 72/);
  await expect(page.locator('#signup-birthDate-error')).toHaveText(/future/);
  await expect(page.getByLabel('Email')).toBeFocused();
  // Side by side (desktop), first and last name stay aligned although only one has a hint.
  const first = await page.getByLabel('First name').boundingBox();
  const last = await page.getByLabel('Last name').boundingBox();
  expect([first?.y, first?.height]).toEqual([last?.y, last?.height]);

  await page.getByLabel('Email').fill(existing.email);
  await page.getByLabel('Password').fill(existing.password);
  await page.getByLabel('First name').fill('Other');
  await page.getByLabel('Last name').fill('Person');
  await page.getByLabel('Birth date').fill('1980-01-01');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#signup-email-error')).toHaveText('Email is already registered.');
  await expect(page.getByRole('link', { name: 'Sign in instead' })).toBeVisible();
});

test('edit the profile', async ({ page, request }) => {
  const user = newUser('Ada', 'Byron');
  await createUser(request, user);
  await signIn(page, user.email, user.password);

  await page.getByRole('button', { name: 'Edit details' }).click();
  await expect(page.getByLabel('First name')).toBeFocused();
  await page.getByLabel('Last name').fill('');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('#profile-lastName-error')).toHaveText('Enter your last name.');

  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByLabel('Birth date').fill('1990-12-10');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByTestId('profile-saved')).toBeVisible();
  await expect(page.getByTestId('profile-name')).toHaveText('Ada Lovelace');
  await expect(page.getByTestId('profile-details')).toContainText('December 10, 1990');

  await page.reload();
  await expect(page.getByTestId('profile-name')).toHaveText('Ada Lovelace');
});

test('change the password', async ({ page, request, consoleErrors }) => {
  consoleErrors.allowHttpErrors(401, 403);
  const user = newUser('Alan', 'Turing');
  await createUser(request, user);
  await signIn(page, user.email, user.password);
  await page.getByRole('link', { name: 'Change password' }).click();
  await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
  // A page of the profile: the main menu still says where you are.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Profile' })).toHaveAttribute('aria-current', 'page');

  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
  await page.getByLabel('Repeat the new password').fill('a different passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.locator('#password-confirmPassword-error')).toHaveText(
    'The two passwords do not match.',
  );

  await page.getByLabel('Repeat the new password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.locator('#password-currentPassword-error')).toHaveText(
    'Current password is incorrect.',
  );

  await page.getByLabel('Current password').fill(user.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByTestId('password-changed')).toBeVisible();

  await signOut(page);
  await signIn(page, user.email, user.password, { expectFailure: true });
  await expect(page.getByTestId('sign-in-error')).toContainText("don't match");
  await signIn(page, user.email, 'a brand new passphrase');
  await expect(page).toHaveURL(/\/profile$/);
});

test('wrong password, then throttling says when to try again', async ({
  page,
  request,
  consoleErrors,
}) => {
  consoleErrors.allowHttpErrors(401, 429);
  const user = newUser('Mallory', 'Guess');
  await createUser(request, user);

  await signIn(page, user.email, 'wrong password 1', { expectFailure: true });
  await expect(page.getByTestId('sign-in-error')).toContainText(
    "That email and password don't match an account.",
  );
  await expect(page.getByLabel('Password')).toBeFocused();
  await expect(page.getByLabel('Password')).toHaveValue('');

  // The API allows 5 failures per email in 15 minutes; the next attempt is throttled.
  for (let i = 2; i <= 6; i++) {
    await page.getByLabel('Password').fill(`wrong password ${i}`);
    // Wait for each answer: the form empties the password when one comes back.
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/login'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await answered).status()).toBe(i < 6 ? 401 : 429);
  }
  const alert = page.getByRole('alert').filter({ hasText: 'Too many attempts' });
  await expect(alert).toContainText(/please wait \d+ minutes?/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
});

test('an ended session returns to sign-in and then to the page wanted', async ({
  page,
  request,
  consoleErrors,
}) => {
  consoleErrors.allowHttpErrors(401);
  const user = newUser('Edsger', 'Dijkstra');
  const id = await createUser(request, user);
  await signIn(page, user.email, user.password);
  await expect(page).toHaveURL(/\/profile$/);

  // Another device revokes this session (sign-out elsewhere has the same effect).
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('empctl.session')!);
    s.token = 'revoked-token';
    localStorage.setItem('empctl.session', JSON.stringify(s));
  });
  await page.goto(`/users/${id}`);
  await expect(page).toHaveURL(new RegExp(`/sign-in\\?returnUrl=%2Fusers%2F${id}&reason=expired`));
  await expect(page.getByText('Your session has ended.')).toBeVisible();

  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/users/${id}$`));
  await expect(page.getByTestId('public-name')).toHaveText('Edsger D.');
});

test('sign in with the keyboard alone', async ({ page, request }) => {
  const user = newUser('Keyboard', 'User');
  await createUser(request, user);
  await page.goto('/sign-in');
  // A Tab pressed while the app is still starting has nothing to land on: wait for the page,
  // as a keyboard user would.
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Email')).toBeFocused();
  await page.keyboard.type(user.email);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.keyboard.type(user.password);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/profile$/);
  // Focus moves to the new page's heading, where reading starts.
  await expect(page.getByRole('heading', { name: 'Your profile' })).toBeFocused();
});
