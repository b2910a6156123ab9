import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  backgroundStreams,
  startInBackground,
  type BackgroundChild,
  type BackgroundMessage,
} from '../../../cli/background.ts';
import { ExitCode } from '../../../cli/exit-codes.ts';

/** A child process as the foreground sees it: events it can be told to emit. */
class FakeChild extends EventEmitter implements BackgroundChild {
  connected = true;
  readonly calls: string[] = [];
  disconnect(): void {
    this.calls.push('disconnect');
    this.connected = false;
    this.emit('disconnect');
  }
  unref(): void {
    this.calls.push('unref');
  }
  say(message: BackgroundMessage): void {
    this.emit('message', message);
  }
}

function output() {
  const written: string[] = [];
  return {
    written,
    raw: { write: (text: string) => written.push(`out:${text}`), error: (text: string) => written.push(`err:${text}`) },
  };
}

describe('startInBackground', () => {
  it('relays the output in order and returns as soon as the execution started, leaving the child running', async () => {
    const child = new FakeChild();
    const { written, raw } = output();
    const returned = startInBackground(child, raw);
    child.say({ kind: 'stderr', text: 'waiting for process 7...\n' });
    child.say({ kind: 'stdout', text: 'onboarding acme\n' });
    child.say({ kind: 'stdout', text: 'started onboarding execution e-1\n' });
    child.say({ kind: 'started', code: ExitCode.ok });
    expect(await returned).toBe(ExitCode.ok);
    expect(written).toEqual([
      'err:waiting for process 7...\n',
      'out:onboarding acme\n',
      'out:started onboarding execution e-1\n',
    ]);
    // Not waited for: no exit was ever emitted, and the child is let go.
    expect(child.calls).toEqual(['disconnect', 'unref']);
  });

  it('returns the exit code of a child that ends without starting anything, after reading all it said', async () => {
    const child = new FakeChild();
    const { written, raw } = output();
    const returned = startInBackground(child, raw);
    child.emit('exit', ExitCode.usage);
    child.say({ kind: 'stderr', text: 'error: no execution named x\n' });
    child.connected = false;
    child.emit('disconnect');
    expect(await returned).toBe(ExitCode.usage);
    expect(written).toEqual(['err:error: no execution named x\n']);
  });

  it('says so when the background process cannot start', async () => {
    const child = new FakeChild();
    const { written, raw } = output();
    const returned = startInBackground(child, raw);
    child.emit('error', new Error('spawn ENOENT'));
    expect(await returned).toBe(ExitCode.internal);
    expect(written).toEqual(['err:error: could not start the background process: spawn ENOENT\n']);
  });
});

describe('backgroundStreams', () => {
  it('sends the output over the channel until started, then writes it to the log file', async () => {
    const sent: BackgroundMessage[] = [];
    let disconnected = false;
    const streams = backgroundStreams(
      (message, callback) => {
        sent.push(message);
        callback(null);
      },
      () => {
        disconnected = true;
      },
    );
    streams.stdout.write('started onboarding execution e-1\n');
    streams.stderr.write('a warning\n');
    const logFile = join(mkdtempSync(join(tmpdir(), 'cli-background-')), 'state', 'background.log');
    await streams.started(ExitCode.ok, logFile);
    streams.stderr.write('internal error: later\n');
    await streams.flush();
    expect(sent).toEqual([
      { kind: 'stdout', text: 'started onboarding execution e-1\n' },
      { kind: 'stderr', text: 'a warning\n' },
      { kind: 'started', code: ExitCode.ok },
    ]);
    expect(disconnected).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toBe('internal error: later\n');
  });

  it('flush waits for every message to leave', async () => {
    const callbacks: (() => void)[] = [];
    const streams = backgroundStreams(
      (_message, callback) => callbacks.push(() => callback(null)),
      () => undefined,
    );
    streams.stdout.write('x\n');
    let flushed = false;
    const flushing = streams.flush().then(() => {
      flushed = true;
    });
    await Promise.resolve();
    expect(flushed).toBe(false);
    for (const callback of callbacks) callback();
    await flushing;
    expect(flushed).toBe(true);
  });
});
