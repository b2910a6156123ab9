/**
 * Fault injection inside real SDK clients: a middleware that throws a given error for matching
 * commands, so the handlers' own code path (adapters, error translation, retries) is what is
 * exercised. Used by the workflow tests and by the local runtime's `--fail Service:Operation`.
 */
import { attachCallMiddleware, type SdkClient } from './sdk-middleware.ts';

export interface SdkFault {
  /** Command name as the SDK reports it, e.g. `UpdateItemCommand`, `CreateStackCommand`. */
  readonly command: string;
  /** Only inputs for which this returns true (default: every call). */
  readonly when?: (input: Readonly<Record<string, unknown>>) => boolean;
  /** The error to throw (use the SDK's exception classes). */
  readonly error: () => Error;
  /** How many calls fail; default 1. */
  times?: number;
}

const attached = new WeakMap<SdkClient, SdkFault[]>();

/** Adds a fault to a client (attaching the injecting middleware on first use). */
export function injectSdkFault(client: SdkClient, fault: SdkFault): void {
  let faults = attached.get(client);
  if (!faults) {
    const list: SdkFault[] = [];
    faults = list;
    attached.set(client, list);
    attachCallMiddleware(client, {
      name: 'localFaultInjection',
      // High: a fault decides before anything answers the call, as a failing network would.
      priority: 'high',
      handle: async (call, next) => {
        const index = list.findIndex((f) => f.command === call.commandName && (f.when?.(call.input) ?? true));
        const fault = list[index];
        if (fault === undefined) return next();
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) list.splice(index, 1);
        throw fault.error();
      },
    });
  }
  faults.push({ ...fault });
}

/** Removes every pending fault from a client. */
export function clearSdkFaults(client: SdkClient): void {
  attached.get(client)?.splice(0);
}
