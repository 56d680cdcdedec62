import { APIRequestContext, Page, TestInfo, expect } from '@playwright/test';
import path from 'node:path';

export interface TestUser {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  birthDate: string;
}

let counter = 0;

/** A new user with a unique email; `age` in whole years (default an adult). */
export function newUser(firstName: string, lastName: string, age = 30): TestUser {
  counter++;
  const tag = `${Date.now().toString(36)}${counter}`;
  return {
    email: `${firstName.toLowerCase()}.${tag}@example.com`,
    password: 'correct horse battery',
    firstName,
    lastName,
    birthDate: yearsAgo(age),
  };
}

/** The date `years` years and a month ago, YYYY-MM-DD (a month, so the age is unambiguous). */
export function yearsAgo(years: number): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 10);
}

/** Creates a user straight through the API, for tests about something else. */
export async function createUser(request: APIRequestContext, user: TestUser): Promise<number> {
  const res = await request.post('/api/users', { data: user });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()).id as number;
}

/** Signs in through the form; unless `expectFailure`, waits until the app has moved on. */
export async function signIn(
  page: Page,
  email: string,
  password: string,
  { expectFailure = false } = {},
): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (!expectFailure) await expect(page).not.toHaveURL(/\/sign-in/);
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
}

/** Saves a full-page screenshot under test-results/screens/<project>/<name>.png. */
export async function screenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  await page.screenshot({
    path: path.join(info.project.outputDir, 'screens', info.project.name, `${name}.png`),
    fullPage: true,
  });
}

export async function stopBackend(request: APIRequestContext): Promise<void> {
  expect((await request.post('/__e2e/backend/stop')).status()).toBe(204);
}

export async function startBackend(request: APIRequestContext, appVersion?: string): Promise<void> {
  const res = await request.post('/__e2e/backend/start', {
    data: appVersion ? { appVersion } : {},
  });
  expect(res.status(), await res.text()).toBe(204);
}
