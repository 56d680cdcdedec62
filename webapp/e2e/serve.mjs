// Test-only harness for the end-to-end tests: runs the real Go API server on a throwaway
// SQLite database and, in front of it, a tiny same-origin web server that does what the
// stack's load balancer does for the webapp: serves the production build with SPA fallback
// and /config.json, and proxies /api/* to the API. Node's standard library only.
//
// Control endpoints (loopback, test-only) let a test stop and restart the API:
//   POST /__e2e/backend/stop
//   POST /__e2e/backend/start   body (optional): {"appVersion":"..."}
//   POST /__e2e/backend/rollout body: {"appVersion":"..."}: a new version replaces the
//        running one with no gap (started and ready before the old one is stopped)
//
// Environment: E2E_PORT (required), E2E_DIST (default ../dist/webapp/browser),
// E2E_SERVER_BIN (default: go build ../cmd/server into a temporary folder).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// The API's database and binary live here; removed on exit (SIGTERM from Playwright).
const work = mkdtempSync(path.join(tmpdir(), 'empctl-webapp-e2e-'));
const repoRoot = path.resolve(here, '..', '..');
const dist = path.resolve(
  process.env.E2E_DIST ?? path.join(here, '..', 'dist', 'webapp', 'browser'),
);
const port = Number(process.env.E2E_PORT);
if (!port) fail('E2E_PORT must be set to the port to listen on.');
if (!existsSync(path.join(dist, 'index.html'))) {
  fail(`No production build at ${dist}: run "make -C webapp build" (or "npx ng build") first.`);
}

const serverBin = process.env.E2E_SERVER_BIN || buildServer();
let api = null; // { child, exited: Promise }
let appVersion = process.env.E2E_APP_VERSION || 'e2e-1';

function fail(msg) {
  console.error(`e2e harness: ${msg}`);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
}

function buildServer() {
  const bin = path.join(work, 'server');
  console.log('e2e harness: building the API server (go build ./cmd/server)…');
  try {
    execFileSync('go', ['build', '-o', bin, './cmd/server'], { cwd: repoRoot, stdio: 'inherit' });
  } catch {
    fail('could not build the Go API server; see the go build output above.');
  }
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

/** Starts an API server process for `version` on a free port; resolves once it is ready. */
async function launchApi(version) {
  const port = await freePort();
  const child = spawn(serverBin, [], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `sqlite://${path.join(work, 'e2e.db')}`,
      APP_VERSION: version,
      INSTANCE_ID: `e2e-${version}-${port}`,
      DRAIN_DELAY: '0s',
      LOG_LEVEL: 'warn',
      // Every test signs up from 127.0.0.1; the default allows 20 an hour, the most 250.
      SIGN_UPS_PER_HOUR: '250',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if ((await probe(port, '/readyz')) === 200) return { child, exited, port };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the API server did not become ready (exit code ${child.exitCode})`);
}

/** SIGTERM, as ECS sends it: the server drains in-flight requests, then exits. */
async function terminate({ child, exited }) {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function startApi() {
  if (!api) api = await launchApi(appVersion);
}

async function stopApi() {
  if (!api) return;
  const old = api;
  api = null;
  await terminate(old);
}

/** Blue/green: the new version starts, takes the traffic, then the old one drains and stops. */
async function rolloutApi(version) {
  const next = await launchApi(version);
  const old = api;
  api = next;
  appVersion = version;
  if (old) await terminate(old);
}

function probe(port, p) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

// What a load balancer answers when no backend is there.
function badGateway(res) {
  if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
  res.end('502 Bad Gateway');
}

function proxy(req, res) {
  if (!api) {
    req.resume();
    badGateway(res);
    return;
  }
  const upstream = http.request(
    { host: '127.0.0.1', port: api.port, method: req.method, path: req.url, headers: req.headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', () => badGateway(res));
  req.pipe(upstream);
}

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

// The policy the stack's balancer and CloudFront send (pkg/webassets/csp.go; its test checks
// this copy), so the tests run the app under it.
const contentSecurityPolicy = `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'`;

function serveStatic(req, res) {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/config.json') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    res.end(JSON.stringify({ apiBaseUrl: '/api' }));
    return;
  }
  let file = path.join(dist, path.normalize(decodeURIComponent(url.pathname)));
  if (!file.startsWith(dist)) {
    res.writeHead(400).end();
    return;
  }
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    // not there
  }
  if (!isFile) {
    // SPA fallback: a path without a file extension is an app route.
    if (path.extname(url.pathname) !== '') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    file = path.join(dist, 'index.html');
  }
  const ext = path.extname(file);
  res.writeHead(200, {
    'Content-Type': types[ext] ?? 'application/octet-stream',
    'Cache-Control': ext === '.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
    'Content-Security-Policy': contentSecurityPolicy,
  });
  res.end(readFileSync(file));
}

async function control(req, res) {
  const body = await new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });
  try {
    if (req.url === '/__e2e/backend/stop') {
      await stopApi();
    } else if (req.url === '/__e2e/backend/start') {
      const opts = body ? JSON.parse(body) : {};
      if (opts.appVersion) appVersion = String(opts.appVersion);
      await startApi();
    } else if (req.url === '/__e2e/backend/rollout') {
      await rolloutApi(String(JSON.parse(body).appVersion));
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(204).end();
  } catch (err) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err));
  }
}

const web = http.createServer((req, res) => {
  if (req.url.startsWith('/__e2e/') && req.method === 'POST') void control(req, res);
  else if (req.url === '/api' || req.url.startsWith('/api/')) proxy(req, res);
  else serveStatic(req, res);
});

async function shutdown() {
  web.close();
  await stopApi();
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

try {
  await startApi();
} catch (err) {
  fail(String(err));
}
web.listen(port, '127.0.0.1', () => {
  console.log(`e2e harness: app on http://127.0.0.1:${port}, API on 127.0.0.1:${api.port}`);
});
