import { expect, test } from './fixtures';
import { createUser, newUser, signIn } from './support';

test('a public profile shows the first name and last initial, the same for minors', async ({
  page,
  request,
}) => {
  const minor = newUser('Tim', 'Young', 16);
  const adult = newUser('Barbara', 'Liskov', 40);
  const minorId = await createUser(request, minor);
  const adultId = await createUser(request, adult);

  await signIn(page, adult.email, adult.password);
  await page.getByRole('link', { name: 'People' }).click();
  await page.getByLabel('Member number').fill(String(minorId));
  await page.getByRole('button', { name: 'Open profile' }).click();

  await expect(page).toHaveURL(new RegExp(`/users/${minorId}$`));
  await expect(page.getByTestId('public-name')).toHaveText('Tim Y.');
  await expect(page).toHaveTitle('Tim Y. · empctl');
  // Nothing that changes with the date, which polling would turn into the birth date.
  await expect(page.getByText('Young')).toHaveCount(0);
  await expect(page.getByText(/\bage\b|under 18/i)).toHaveCount(0);
  await expect(page.getByText(`Member ${minorId}`, { exact: true })).toBeVisible();

  await page.goto(`/users/${adultId}`);
  await expect(page.getByTestId('public-name')).toHaveText('Barbara L.');
  await expect(page.getByText('Liskov')).toHaveCount(0);

  // The minor is told what others see, and sees the same about themselves.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, minor.email, minor.password);
  await expect(
    page.getByText('Other members see only your first name and the initial of your last name.'),
  ).toBeVisible();
  await page.getByRole('link', { name: 'See your public profile' }).click();
  await expect(page.getByTestId('public-name')).toHaveText('Tim Y.');
  await expect(page.getByTestId('public-hint')).toContainText('This is how other members see');
});

test('an unknown member number says so', async ({ page, request, consoleErrors }) => {
  consoleErrors.allowHttpErrors(404);
  const user = newUser('Ken', 'Thompson');
  await createUser(request, user);
  await signIn(page, user.email, user.password);
  await page.goto('/users/987654321');
  await expect(page.getByTestId('user-not-found')).toContainText(
    'There is no member with the number 987654321.',
  );
  await page.goto('/users/abc');
  await expect(page.getByTestId('user-not-found')).toContainText('is not a member number');
  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});
