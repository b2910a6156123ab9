/**
 * The command line of the embedded local runtime (`npm start`, `npx tenant-orchestrator`):
 * parse -> open the runtime -> run the command -> exit code (see `--help` for the codes).
 */
import { randomUUID } from 'node:crypto';
import type { LocalRuntime, LocalRuntimeOptions } from '../local/runtime/api.ts';
import { parseCommandLine, usageText, type Command } from './args.ts';
import { runCommand } from './commands.ts';
import { createOutput, executionLabel, programName, stateDirectory, type CliContext, type Output } from './context.ts';
import { ExitCode, InputError, UsageError } from './exit-codes.ts';
import { createProgress } from './progress.ts';

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

async function run(argv: readonly string[], output: Output): Promise<ExitCode> {
  const program = programName(process.env);
  const command = parse(argv, output, program);
  if (typeof command === 'number') return command;
  if (command.kind === 'help') {
    output.write(usageText(program));
    return ExitCode.ok;
  }

  const tenantNames = new Map<string, string>();
  let runtime: LocalRuntime | undefined;
  const progress = createProgress({
    tty: output.tty,
    paint: output.paint,
    write: output.write,
    labelOf: (executionArn) => executionLabel(runtime, tenantNames, executionArn),
  });
  const options: LocalRuntimeOptions = {
    stateDirectory: stateDirectory(process.env, process.cwd()),
    onEvent: (execution, entry) => progress.onEvent(execution, entry),
  };
  // Loaded on demand: `--help` and usage errors answer without starting the simulated cloud.
  const { openLocalRuntime } = await import('../local/runtime/runtime.ts');
  const opened: LocalRuntime = await openLocalRuntime(options);
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
    return await runCommand(context, command);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    output.error(`error: ${error.message}`);
    return ExitCode.usage;
  } finally {
    // A one-shot process: executions started with --no-wait finish before their state is saved.
    await opened.drain();
    await opened.close();
  }
}

/** Runs the command line and returns its exit code; never throws. */
async function main(argv: readonly string[]): Promise<ExitCode> {
  const output = createOutput(process.stdout, process.stderr, process.env);
  try {
    return await run(argv, output);
  } catch (error) {
    output.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return ExitCode.internal;
  }
}

// Piped into `head` and the like: a closed stdout ends the command quietly instead of crashing it.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.ok);
});

// Exit explicitly: an embedded server left open by mistake must not keep a finished command alive.
process.exit(await main(process.argv.slice(2)));
