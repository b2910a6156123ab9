/**
 * The command line of the embedded local runtime (`npm start`, `npx tenant-orchestrator`): wires
 * cli/run.ts to this process (see `--help` for the commands and the exit codes).
 */
import type { LocalRuntimeOptions } from '../local/runtime/api.ts';
import {
  backgroundStreams,
  backgroundVariable,
  spawnBackground,
  startInBackground,
  type BackgroundStreams,
} from './background.ts';
import { ExitCode } from './exit-codes.ts';
import { defaultStateFolderWait, runCli, type CliDependencies } from './run.ts';

// The background half of a `--no-wait` command talks to the foreground over IPC, not stdout.
const send = process.send?.bind(process);
const background: BackgroundStreams | undefined =
  process.env[backgroundVariable] === '1' && send !== undefined
    ? backgroundStreams(
        (message, callback) => send(message, undefined, {}, callback),
        () => process.disconnect(),
      )
    : undefined;

// Loaded on demand: `--help` and usage errors answer without starting the simulated cloud or loading the AWS SDK.
let runtimeModule: typeof import('../local/runtime/runtime.ts') | undefined;
const dependencies: CliDependencies = {
  openRuntime: async (options: LocalRuntimeOptions) => {
    runtimeModule ??= await import('../local/runtime/runtime.ts');
    return runtimeModule.openLocalRuntime(options);
  },
  stateFolderHolder: (directory) => runtimeModule?.stateFolderHolder(directory),
  stateFolderWait: defaultStateFolderWait,
  startInBackground: (argv, output) => startInBackground(spawnBackground(argv, process.cwd()), output),
  redriveAws: async (argv, output) =>
    (await import('./aws/dead-letters.ts')).runAwsRedrive(argv, output) as Promise<ExitCode>,
  runAws: async (context, command) => {
    const listings = await import('./aws/commands.ts');
    return listings.runAwsCommand(context, command, listings.defaultAwsClients(command.aws.region));
  },
  ...(background !== undefined ? { background } : {}),
};

// Piped into `head` and the like: a closed stdout ends the command quietly instead of crashing it.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.ok);
});

const code = await runCli(
  process.argv.slice(2),
  {
    stdout: background?.stdout ?? process.stdout,
    stderr: background?.stderr ?? process.stderr,
    env: process.env,
    cwd: process.cwd(),
  },
  dependencies,
);
await background?.flush();
// Exit explicitly: an embedded server left open by mistake must not keep a finished command alive.
process.exit(code);
