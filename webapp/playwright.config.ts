import { defineConfig, devices } from '@playwright/test';
import { execFileSync } from 'node:child_process';

// One free port for the whole run: set here in the main process, inherited by the workers
// (which load this file again and must agree on it).
process.env['E2E_PORT'] ??= execFileSync(process.execPath, [
  '-e',
  "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
])
  .toString()
  .trim();
const baseURL = `http://127.0.0.1:${process.env['E2E_PORT']}`;

// Debian's Chromium; this machine has no network beyond loopback, so no background traffic.
const chromium = {
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
  ],
};

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // The tests share one API server, and one of them stops and restarts it.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env['CI'],
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL,
    launchOptions: chromium,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'desktop',
      use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 } },
    },
    {
      // The phone-width pass takes the screenshots of every main screen again.
      name: 'phone',
      use: { ...devices['Pixel 7'] },
      testMatch: /screens\.spec\.ts/,
    },
  ],
  webServer: {
    command: 'node e2e/serve.mjs',
    url: `${baseURL}/config.json`,
    timeout: 180_000,
    reuseExistingServer: false,
    // SIGTERM lets the harness stop the API server and delete its temporary folder.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
