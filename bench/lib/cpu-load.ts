/**
 * CPU load beside a benchmark: one process per core spinning on an empty loop, so the run under
 * test shares every core with work it cannot control (as on a busy CI runner or a laptop). The
 * caller stops them in `finally`; each is killed by its own handle, never by name.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CpuLoad {
  /** How many CPU-burning processes run. */
  readonly processes: number;
  /** Kills every burner and resolves once each has exited. */
  stop(): Promise<void>;
}

/** Starts `processes` CPU-burning child processes (default: one per core). */
export function startCpuLoad(processes: number = availableParallelism()): CpuLoad {
  if (!Number.isInteger(processes) || processes < 1)
    throw new Error(`CPU load needs a positive whole number of processes, got ${processes}`);
  const burners = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  return {
    processes,
    stop: async () => {
      await Promise.all(
        burners.map(
          (burner) =>
            new Promise<void>((resolve) => {
              if (burner.exitCode !== null || burner.signalCode !== null) {
                resolve();
                return;
              }
              burner.once('exit', () => resolve());
              burner.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
