import { expect, expectAccessible, test } from './fixtures';
import { LocalStack } from './local-stack';

// The app's RELEASE_CHECK_MS (src/app/core/release/release-watch.service.ts).
const RELEASE_CHECK_MS = 60_000;

let stack: LocalStack;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  stack = new LocalStack();
  await stack.start();
});

test.afterAll(async () => {
  await stack?.stop();
});

test('an open tab learns that a new release is live, and reloads into it when asked', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const first = stack.publish();
  await page.clock.install();
  await page.goto(stack.endpoint + '/sign-in');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.locator(`script[src="${first}"]`)).toHaveCount(1);

  // Someone is typing when the release goes out.
  const email = page.getByLabel('Email');
  await email.fill('ada@exa');

  const second = stack.publish('b');
  await page.clock.fastForward(RELEASE_CHECK_MS);
  const notice = page.getByTestId('release-notice');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('A new version of empctl is available.');
  // Nothing was taken from the person typing: no reload, focus and text where they were.
  await expect(email).toBeFocused();
  await expect(email).toHaveValue('ada@exa');
  await expect(page.locator(`script[src="${first}"]`)).toHaveCount(1);
  await expectAccessible(page, 'the new-release notice');

  await notice.getByRole('button', { name: 'Reload to update' }).click();
  await expect(page.locator(`script[src="${second}"]`)).toHaveCount(1);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(notice).toHaveCount(0);
});
