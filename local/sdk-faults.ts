/**
 * Fault injection inside real SDK clients: a middleware that throws a given error for matching
 * commands, so the handlers' own code path (adapters, error translation, retries) is what is
 * exercised. Used by the workflow tests and by the local runtime's `--fail Service:Operation`.
 */
export interface SdkFault {
  /** Command name as the SDK reports it, e.g. `UpdateItemCommand`, `CreateStackCommand`. */
  readonly command: string;
  /** Only inputs for which this returns true (default: every call). */
  readonly when?: (input: Record<string, unknown>) => boolean;
  /** The error to throw (use the SDK's exception classes). */
  readonly error: () => Error;
  /** How many calls fail; default 1. */
  times?: number;
}

/** The part of an SDK v3 client this needs (every client has it). */
interface ClientWithStack {
  middlewareStack: { add(middleware: any, options: Record<string, unknown>): void };
}

const attached = new WeakMap<object, SdkFault[]>();

/** Adds a fault to a client (attaching the injecting middleware on first use). */
export function injectSdkFault(client: ClientWithStack, fault: SdkFault): void {
  let faults = attached.get(client);
  if (!faults) {
    const list: SdkFault[] = [];
    faults = list;
    attached.set(client, list);
    client.middlewareStack.add(
      (next: (args: any) => Promise<any>, context: { commandName?: string }) =>
        async (args: { input: Record<string, unknown> }) => {
          const index = list.findIndex((f) => f.command === context.commandName && (f.when?.(args.input) ?? true));
          const fault = index >= 0 ? list[index] : undefined;
          if (fault) {
            fault.times = (fault.times ?? 1) - 1;
            if (fault.times <= 0) list.splice(index, 1);
            throw fault.error();
          }
          return next(args);
        },
      { step: 'initialize', name: 'localFaultInjection', priority: 'high' },
    );
  }
  faults.push({ ...fault });
}

/** Removes every pending fault from a client. */
export function clearSdkFaults(client: ClientWithStack): void {
  attached.get(client)?.splice(0);
}
