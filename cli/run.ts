/**
 * The command line as a function: arguments and streams in, exit code out (cli/main.ts wires it
 * to the process). Parse -> take the state folder (or read it) -> run the command -> save.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { StateFolderInUseError, type LocalRuntime, type LocalRuntimeOptions } from '../local/runtime/api.ts';
import { parseCommandLine, readsOnly, usageText, type Command } from './args.ts';
import type { BackgroundStreams, RawOutput } from './background.ts';
import type { AwsCommand } from './aws/commands.ts';
import { runCommand, type ListingContext, type RuntimeCommand } from './commands.ts';
import {
  createOutput,
  executionLabel,
  programName,
  stateDirectory,
  type CliContext,
  type Output,
  type WritableLike,
} from './context.ts';
import { ExitCode, InputError, UsageError } from './exit-codes.ts';
import { createProgress } from './progress.ts';

/** How long a command that changes state waits for another process to release the state folder. */
export interface StateFolderWait {
  readonly timeoutMs: number;
  /** How often to look again. */
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/** 30 s, looking four times a second. */
export const defaultStateFolderWait: StateFolderWait = {
  timeoutMs: 30_000,
  pollMs: 250,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/** What the command line runs on; cli/main.ts gives the real ones, tests fakes. */
export interface CliDependencies {
  /** Opens the local runtime (throws {@link StateFolderInUseError} while another process holds the folder). */
  openRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime>;
  /** The live process holding the state folder, if any. */
  stateFolderHolder(directory: string): number | undefined;
  readonly stateFolderWait: StateFolderWait;
  /** Runs the command again in a background process; returns once its execution started (`--no-wait`). */
  startInBackground(argv: readonly string[], output: RawOutput): Promise<ExitCode>;
  /** `dead-letters --redrive --aws`: the tool against a deployed stack. */
  redriveAws(argv: readonly string[], output: Output): Promise<ExitCode>;
  /** A command with `--aws` (tenants, executions, fleet, history, pin, unpin): run against a deployed stack. */
  runAws(context: ListingContext, command: AwsCommand): Promise<ExitCode>;
  /** Set in the background half of a `--no-wait` command: its output goes to the foreground. */
  readonly background?: Pick<BackgroundStreams, 'started'>;
}

/** Where the command line runs. */
export interface CliProcess {
  readonly stdout: WritableLike;
  readonly stderr: WritableLike;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The file the background half of a `--no-wait` command writes to once its execution started. */
export const backgroundLogFile = 'background.log';

function parse(argv: readonly string[], output: Output, program: string): Command | ExitCode {
  try {
    return parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.error(`error: ${error.message}`);
    output.error('');
    output.error(usageText(program));
    return ExitCode.usage;
  }
}

/**
 * Opens the runtime for a command that changes state. While another process holds the folder,
 * says so once and looks again until `wait.timeoutMs` has passed, then refuses in one line.
 */
export async function openWhenFree(
  open: () => Promise<LocalRuntime>,
  wait: StateFolderWait,
  output: Pick<Output, 'error'>,
): Promise<LocalRuntime | ExitCode> {
  const deadline = wait.now() + wait.timeoutMs;
  let told = false;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      if (!(error instanceof StateFolderInUseError)) throw error;
      const left = deadline - wait.now();
      const seconds = Math.round(wait.timeoutMs / 1000);
      if (left <= 0) {
        output.error(
          `error: the state folder ${error.directory} is still in use by process ${error.holder} after ${seconds} s; run the command again once it has finished`,
        );
        return ExitCode.usage;
      }
      if (!told) {
        output.error(
          `waiting for process ${error.holder} to finish with the state folder ${error.directory} (up to ${seconds} s)...`,
        );
        told = true;
      }
      await wait.sleep(Math.min(wait.pollMs, left));
    }
  }
}

/** The command as one against a deployed stack, when it has `--aws`. */
function awsCommandOf(command: Command): AwsCommand | undefined {
  switch (command.kind) {
    case 'tenants':
    case 'executions':
    case 'fleet':
    case 'history':
    case 'pin':
    case 'unpin':
    case 'reconcile':
    case 'rollout':
    case 'onboard':
    case 'offboard':
    case 'suspend':
    case 'resume':
    case 'update':
    case 'send':
    case 'replay':
    case 'redrive':
    case 'dead-letters':
      return command.aws === undefined ? undefined : ({ ...command, aws: command.aws } as AwsCommand);
    default:
      return undefined;
  }
}

/** True for a command that starts workflows and was asked not to wait for them. */
function startsWithoutWaiting(command: RuntimeCommand): boolean {
  return !readsOnly(command) && 'wait' in command && !command.wait;
}

async function run(
  argv: readonly string[],
  output: Output,
  io: CliProcess,
  dependencies: CliDependencies,
): Promise<ExitCode> {
  const program = programName(io.env);
  const command = parse(argv, output, program);
  if (typeof command === 'number') return command;
  if (command.kind === 'help') {
    output.write(usageText(program));
    return ExitCode.ok;
  }
  if (command.kind === 'dead-letters-aws') return dependencies.redriveAws(command.argv, output);
  if (command.kind === 'smoke' || command.kind === 'index-tenants')
    return dependencies.runAws({ output, tenantNames: new Map(), program }, command);
  const aws = awsCommandOf(command);
  if (aws !== undefined) return dependencies.runAws({ output, tenantNames: new Map(), program }, aws);
  if (startsWithoutWaiting(command) && dependencies.background === undefined) {
    return dependencies.startInBackground(argv, {
      write: (text) => void io.stdout.write(text),
      error: (text) => void io.stderr.write(text),
    });
  }

  const directory = stateDirectory(io.env, io.cwd);
  const tenantNames = new Map<string, string>();
  let runtime: LocalRuntime | undefined;
  const progress = createProgress({
    tty: output.tty,
    verbose: 'verbose' in command && command.verbose,
    paint: output.paint,
    write: output.write,
    labelOf: (executionArn) => executionLabel(runtime, tenantNames, executionArn),
  });
  const options: LocalRuntimeOptions = {
    stateDirectory: directory,
    onEvent: (execution, entry) => progress.onEvent(execution, entry),
  };
  let opened: LocalRuntime;
  if (readsOnly(command)) {
    opened = await dependencies.openRuntime({ ...options, readOnly: true });
    const holder = dependencies.stateFolderHolder(directory);
    if (holder !== undefined) {
      output.error(
        `note: process ${holder} is still running a command on ${directory}; its workflows may be running, and this shows the state saved before it started`,
      );
    }
  } else {
    const free = await openWhenFree(() => dependencies.openRuntime(options), dependencies.stateFolderWait, output);
    if (typeof free === 'number') return free;
    opened = free;
  }
  runtime = opened;
  const context: CliContext = {
    runtime: opened,
    output,
    progress,
    tenantNames,
    newId: randomUUID,
    now: () => new Date(),
    program,
  };
  try {
    const code = await runCommand(context, command);
    // The background half of --no-wait: the foreground returns now; this process runs on to the end.
    await dependencies.background?.started(code, join(directory, backgroundLogFile));
    return code;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    output.error(`error: ${error.message}`);
    return ExitCode.usage;
  } finally {
    // Executions started with --no-wait finish (in this, the background process) before the state is saved.
    await opened.drain();
    await opened.close();
  }
}

/** Runs the command line and returns its exit code; never throws. */
export async function runCli(
  argv: readonly string[],
  io: CliProcess,
  dependencies: CliDependencies,
): Promise<ExitCode> {
  const output = createOutput(io.stdout, io.stderr, io.env);
  try {
    return await run(argv, output, io, dependencies);
  } catch (error) {
    output.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return ExitCode.internal;
  }
}
