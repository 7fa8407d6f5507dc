import {
  ChildProcess,
  spawn,
  execFile,
  execFileSync,
} from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'standalone', 'main.js');
const USERS_CLI = join(ROOT, 'dist', 'src', 'standalone', 'cli', 'users.js');

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/**
 * The built standalone server (`npm test` builds first) as a real process, in
 * its own working directory, so that it can be killed and started again.
 */
export class ServerProcess {
  readonly cwd = mkdtempSync(join(tmpdir(), 'password-reset-server-'));
  private child?: ChildProcess;
  output = '';

  constructor(readonly env: Record<string, string>) {}

  get baseUrl(): string {
    return `${this.env.TLS_CERT ? 'https' : 'http'}://127.0.0.1:${this.env.PORT}`;
  }

  /** The server's own certificate trusted as the CA: the tests' certificates are self-signed. */
  private isHealthy(): Promise<boolean> {
    const get = this.env.TLS_CERT ? httpsGet : httpGet;
    const ca = this.env.TLS_CERT ? readFileSync(this.env.TLS_CERT) : undefined;
    return new Promise((resolve, reject) => {
      get(`${this.baseUrl}/health`, { ca }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      }).on('error', reject);
    });
  }

  static async create(env: Record<string, string>): Promise<ServerProcess> {
    return new ServerProcess({ PORT: String(await freePort()), ...env });
  }

  private processEnv(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, NODE_ENV: 'test', ...this.env };
  }

  private addUserArguments(
    username: string,
    email: string,
    password: string,
  ): string[] {
    return [
      USERS_CLI,
      'add',
      '--username',
      username,
      '--email',
      email,
      '--password',
      password,
    ];
  }

  addUser(username: string, email: string, password: string): void {
    execFileSync(
      process.execPath,
      this.addUserArguments(username, email, password),
      { cwd: this.cwd, env: this.processEnv() },
    );
  }

  /** `users add` without blocking, so that several can run at once; rejects with the CLI's output when it fails. */
  async addUserAsync(
    username: string,
    email: string,
    password: string,
  ): Promise<void> {
    await promisify(execFile)(
      process.execPath,
      this.addUserArguments(username, email, password),
      { cwd: this.cwd, env: this.processEnv() },
    );
  }

  verifyPassword(username: string, password: string): boolean {
    try {
      execFileSync(
        process.execPath,
        [USERS_CLI, 'verify', '--username', username, '--password', password],
        { cwd: this.cwd, env: this.processEnv() },
      );
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves once /health answers 200; `timeoutMs` is longer where several start on one machine at once. */
  async start(timeoutMs = 20000): Promise<void> {
    this.child = spawn(process.execPath, [MAIN], {
      cwd: this.cwd,
      env: this.processEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk) => (this.output += chunk));
    this.child.stderr!.on('data', (chunk) => (this.output += chunk));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null)
        throw new Error(`server exited: ${this.output}`);
      try {
        if (await this.isHealthy()) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`server did not start: ${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  get isRunning(): boolean {
    return (
      this.child !== undefined &&
      this.child.exitCode === null &&
      this.child.signalCode === null
    );
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  async kill(): Promise<void> {
    if (!this.isRunning) return;
    const exited = once(this.child!, 'exit');
    this.child!.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (!this.isRunning) return;
    const exited = once(this.child!, 'exit');
    this.child!.kill('SIGTERM');
    await exited;
  }
}
