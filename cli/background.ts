/**
 * `--no-wait`: the command runs in a background process of its own, which holds the state folder
 * while its workflow runs and saves the state when it ends (the local runtime lives in one
 * process). The foreground process relays what the background one prints until it says its
 * execution started, then returns with its exit code. Later commands that change state wait for
 * the background one; listings show the state saved before it, and say that it is still running.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from './exit-codes.ts';

/** What the background process tells the foreground one, in order, over the IPC channel. */
export type BackgroundMessage =
  | { readonly kind: 'stdout'; readonly text: string }
  | { readonly kind: 'stderr'; readonly text: string }
  | { readonly kind: 'started'; readonly code: number };

/** The environment variable that makes a command line the background half of a `--no-wait` command. */
export const backgroundVariable = 'TENANT_ORCHESTRATOR_BACKGROUND';

/** The part of a child process the foreground uses (tests hand in a fake). */
export interface BackgroundChild {
  readonly connected: boolean;
  on(event: 'message', listener: (message: BackgroundMessage) => void): unknown;
  on(event: 'exit', listener: (code: number | null) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'disconnect', listener: () => void): unknown;
  disconnect(): void;
  unref(): void;
}

/** Where the foreground writes what the background process printed (already redacted there). */
export interface RawOutput {
  write(text: string): void;
  error(text: string): void;
}

/**
 * Starts this command line again as a detached process with an IPC channel, with the same
 * node, loader flags (tsx) and arguments, marked as the background half.
 */
export function spawnBackground(argv: readonly string[], cwd: string): BackgroundChild {
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  return spawn(process.execPath, [...process.execArgv, main, ...argv], {
    cwd,
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [backgroundVariable]: '1' },
  });
}

/**
 * Runs a `--no-wait` command in the background: relays its output and returns its exit code as
 * soon as it says its execution started (it runs on), or when it ends without starting one.
 */
export function startInBackground(child: BackgroundChild, output: RawOutput): Promise<ExitCode> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (code: ExitCode) => {
      if (settled) return;
      settled = true;
      resolve(code);
    };
    child.on('message', (message) => {
      if (settled) return;
      if (message.kind === 'stdout') output.write(message.text);
      else if (message.kind === 'stderr') output.error(message.text);
      else {
        // Let it run on alone: no channel, and nothing keeps this process waiting for it.
        if (child.connected) child.disconnect();
        child.unref();
        settle(message.code as ExitCode);
      }
    });
    child.on('error', (error) => {
      output.error(`error: could not start the background process: ${error.message}\n`);
      settle(ExitCode.internal);
    });
    child.on('exit', (code) => {
      const exitCode = (code ?? ExitCode.internal) as ExitCode;
      // Messages sent before it exited may still be in the channel: read them all first.
      if (child.connected) child.once('disconnect', () => settle(exitCode));
      else settle(exitCode);
    });
  });
}

/** The background half's stdout and stderr: the IPC channel until the execution started, then a log file. */
export interface BackgroundStreams {
  readonly stdout: { write(text: string): unknown; readonly isTTY: false };
  readonly stderr: { write(text: string): unknown; readonly isTTY: false };
  /** Tells the foreground the execution started (with the exit code), then writes to `logFile`. */
  started(code: ExitCode, logFile: string): Promise<void>;
  /** Resolves once every message sent so far has left this process. */
  flush(): Promise<void>;
}

/** The streams of the background half, over `send` (process.send). */
export function backgroundStreams(
  send: (message: BackgroundMessage, callback: (error: Error | null) => void) => unknown,
  disconnect: () => void,
): BackgroundStreams {
  const pending = new Set<Promise<void>>();
  let logFile: string | undefined;
  const post = (message: BackgroundMessage) => {
    const sent = new Promise<void>((resolve) => send(message, () => resolve()));
    pending.add(sent);
    void sent.then(() => pending.delete(sent));
    return sent;
  };
  const stream = (kind: 'stdout' | 'stderr') => ({
    isTTY: false as const,
    write: (text: string) => {
      if (logFile === undefined) void post({ kind, text });
      else appendFileSync(logFile, text);
    },
  });
  return {
    stdout: stream('stdout'),
    stderr: stream('stderr'),
    async started(code, file) {
      await post({ kind: 'started', code });
      mkdirSync(dirname(file), { recursive: true });
      logFile = file;
      disconnect();
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}
