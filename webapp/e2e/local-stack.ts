import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const repo = path.resolve(__dirname, '..', '..');
const build = path.resolve(__dirname, '..', 'dist', 'webapp', 'browser');

/**
 * A real local environment: `empctl up` (one replica, its own SQLite database) in a throwaway
 * project that shares this repository's Go sources, with webapp builds published into it by
 * `empctl deploy frontend --no-build`, as a developer would.
 */
export class LocalStack {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'empctl-e2e-stack-'));
  private readonly bin = path.join(this.dir, 'bin', 'empctl');
  private readonly dist = path.join(this.dir, 'webapp', 'dist', 'webapp', 'browser');
  private up?: ChildProcess;
  endpoint = '';

  /** Builds empctl and starts the stack; resolves once it serves. */
  async start(): Promise<void> {
    execFileSync('go', ['build', '-o', this.bin, './cmd/empctl'], { cwd: repo, stdio: 'inherit' });
    for (const name of ['go.mod', 'go.sum', 'cmd', 'server', 'pkg']) {
      symlinkSync(path.join(repo, name), path.join(this.dir, name));
    }
    this.up = spawn(
      this.bin,
      ['up', '--listen', '127.0.0.1:0', '--replicas', '1', '--output', 'json'],
      { cwd: this.dir, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: this.up.stdout! });
    this.endpoint = await new Promise<string>((resolve, reject) => {
      this.up!.once('exit', (code) => reject(new Error(`empctl up exited (${code})`)));
      lines.on('line', (line) => {
        const ev = JSON.parse(line) as { kind?: string; endpoint?: string };
        if (ev.kind === 'up' && ev.endpoint) resolve(ev.endpoint);
      });
    });
  }

  /**
   * Publishes the production build as a new release through `empctl deploy frontend`. With a
   * tag, the release differs from the build by its main script's name (its content hash) and
   * a marker in index.html, as a rebuild of changed sources would.
   */
  publish(tag = ''): string {
    rmSync(this.dist, { recursive: true, force: true });
    mkdirSync(path.dirname(this.dist), { recursive: true });
    cpSync(build, this.dist, { recursive: true });
    const main = readdirSync(this.dist).find((f) => /^main-[A-Z2-7]{8}\.js$/.test(f))!;
    let script = main;
    if (tag) {
      script = `main-${tag.toUpperCase().padEnd(8, 'Z').slice(0, 8)}.js`;
      copyFileSync(path.join(this.dist, main), path.join(this.dist, script));
      const index = path.join(this.dist, 'index.html');
      writeFileSync(
        index,
        readFileSync(index, 'utf8')
          .replace(main, script)
          .replace('</head>', `<meta name="release" content="${tag}"></head>`),
      );
    }
    execFileSync(this.bin, ['deploy', 'frontend', '--no-build'], {
      cwd: this.dir,
      stdio: 'inherit',
    });
    return script;
  }

  async stop(): Promise<void> {
    if (this.up && this.up.exitCode === null) {
      const exited = new Promise((r) => this.up!.once('exit', r));
      this.up.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
