/**
 * `npm run test:differential`: a second opinion on the local cloud. Starts `moto_server` on a free
 * loopback port, plays every scenario once against the local cloud and once against moto (each in
 * a process of its own), compares what the handlers read, and ends with
 * `Differential: N scenarios, N agree, N known deviations, N disagree` (exit 1 when any disagree).
 * Without moto_server on the PATH it prints `Differential: skipped (moto_server not found)` and
 * exits 0. Options: `--only a,b` plays only those scenarios; `--verbose` prints both results.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { judge, normalise, type Verdict } from './compare.ts';
import { knownDeviations } from './deviations.ts';
import { scenarios } from './scenarios/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values } = parseArgs({ options: { only: { type: 'string' }, verbose: { type: 'boolean' } } });

/** The simulated account of the local runtime; moto takes it as its default account. */
const account = '111122223333';

function findOnPath(command: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForMoto(endpoint: string, server: ChildProcess, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`moto_server exited with code ${server.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${deadlineMs} ms`);
}

function runHost(target: 'local' | 'moto', out: string, endpoint?: string): Promise<void> {
  const args = [
    join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
    join(here, 'scenario-host.ts'),
    '--target',
    target,
    '--out',
    out,
    ...(endpoint !== undefined ? ['--endpoint', endpoint] : []),
    ...(values.only !== undefined ? ['--only', values.only] : []),
  ];
  return new Promise((resolve, reject) => {
    // The handlers' own logs are not what is compared; --verbose shows them.
    const env = { ...process.env, POWERTOOLS_LOG_LEVEL: values.verbose ? 'INFO' : 'SILENT' };
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`the ${target} scenario host exited with ${signal ?? code}`)),
    );
  });
}

interface HostOutput {
  readonly aliases: Record<string, string>;
  readonly results: Record<string, unknown>;
}

function readHostOutput(file: string): HostOutput {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as HostOutput) : { aliases: {}, results: {} };
}

/** A scenario that threw instead of returning a result: even if both sides failed alike, nothing was compared. */
function hostError(result: unknown): boolean {
  return typeof result === 'object' && result !== null && 'hostError' in result;
}

function describe(verdict: Verdict): string {
  if (verdict.kind === 'agree') return 'agree';
  if (verdict.kind === 'known-deviation') {
    return `known deviation: ${verdict.deviations.map((deviation) => deviation.moto).join('; ')}`;
  }
  return `DISAGREE\n      ${verdict.reasons.join('\n      ')}`;
}

async function main(): Promise<number> {
  const motoServer = findOnPath('moto_server');
  if (motoServer === undefined) {
    console.log('Differential: skipped (moto_server not found)');
    return 0;
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_ACCOUNT_ID: account },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  // Interrupted: the server started here is stopped all the same (it runs in a process group of its own).
  const stopServer = () => {
    if (server.pid !== undefined && server.exitCode === null) {
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopServer();
      process.exit(130);
    });
  }
  let serverErrors = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    serverErrors = (serverErrors + chunk.toString()).slice(-4000);
  });
  const work = mkdtempSync(join(tmpdir(), 'differential-'));
  try {
    await waitForMoto(endpoint, server, 60_000);
    const outputs = { local: join(work, 'local.json'), moto: join(work, 'moto.json') };
    // A host that dies leaves its scenarios without a result: each of them then disagrees.
    const hosts = await Promise.allSettled([runHost('local', outputs.local), runHost('moto', outputs.moto, endpoint)]);
    for (const host of hosts) if (host.status === 'rejected') console.error(String(host.reason));
    const local = readHostOutput(outputs.local);
    const moto = readHostOutput(outputs.moto);
    const only = values.only?.split(',');
    const names = scenarios
      .map((scenario) => scenario.name)
      .filter((name) => only === undefined || only.includes(name));
    const counts = { agree: 0, 'known-deviation': 0, disagree: 0 };
    for (const name of names) {
      const left = normalise(local.results[name], local.aliases);
      const right = normalise(moto.results[name], moto.aliases);
      const verdict: Verdict =
        left === undefined || right === undefined
          ? { kind: 'disagree', reasons: ['no result from one of the hosts'] }
          : hostError(left) || hostError(right)
            ? { kind: 'disagree', reasons: ['the scenario itself failed (hostError): fix the scenario'] }
            : judge(name, left, right, knownDeviations);
      counts[verdict.kind] += 1;
      console.log(`  ${name}: ${describe(verdict)}`);
      if (verdict.kind === 'agree' && verdict.unusedDeviations.length > 0) {
        console.log('      (a listed deviation was not observed: moto may have changed; update deviations.ts)');
      }
      if (values.verbose || verdict.kind === 'disagree') {
        console.log(`      local: ${JSON.stringify(left)}\n      moto:  ${JSON.stringify(right)}`);
      }
    }
    console.log(
      `Differential: ${names.length} scenarios, ${counts.agree} agree, ${counts['known-deviation']} known deviations, ${counts.disagree} disagree`,
    );
    return counts.disagree === 0 ? 0 : 1;
  } catch (error) {
    if (serverErrors !== '') console.error(`moto_server said:\n${serverErrors}`);
    throw error;
  } finally {
    stopServer();
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
