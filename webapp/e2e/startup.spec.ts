import { expect, test } from './fixtures';

test('while the app starts it says so, instead of a blank page', async ({ page }) => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/config.json', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/', { waitUntil: 'domcontentloaded' });
  await expect(page.getByText('Loading empctl…')).toBeVisible();
  release();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByText('Loading empctl…')).toHaveCount(0);
});

test('the API address comes from /config.json at run time, not from the build', async ({
  page,
}) => {
  // Another environment: the same build, told to find the API under /backend.
  await page.route('**/config.json', (route) =>
    route.fulfill({ json: { apiBaseUrl: '/backend' } }),
  );
  const called: string[] = [];
  await page.route('**/backend/**', async (route) => {
    const url = route.request().url();
    called.push(new URL(url).pathname);
    await route.fulfill({
      response: await route.fetch({ url: url.replace('/backend/', '/api/') }),
    });
  });
  await page.route('**/api/**', (route) => route.abort());

  await page.goto('/');
  await expect(page.getByTestId('backend-version')).toHaveText(/.+/);
  expect(called).toContain('/backend/version');
});
