/**
 * EventBridge adapter: puts replies for the control plane on the shared bus.
 */
import { PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import type { ReplyEntry } from '../../../events/contract.ts';
import { rethrowAwsError } from './errors.ts';
import { eventBridgeClient } from './clients/eventbridge.ts';
import { TransientAwsError } from '../step/errors.ts';

/** Per-entry error codes PutEvents reports for failures worth retrying. */
const transientEntryErrorCodes = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);

/**
 * Puts one reply on the bus and returns its EventBridge event id.
 *
 * PutEvents succeeds as a call even when it rejects the entry, so the per-entry result is checked.
 *
 * @throws TransientAwsError on throttling or an internal failure (call-level or per-entry).
 * @throws Error naming the error code when EventBridge rejects the entry for good
 *   (e.g. the bus does not exist or access is denied).
 */
export async function putReply(entry: ReplyEntry): Promise<string> {
  let output: PutEventsCommandOutput;
  try {
    output = await eventBridgeClient().send(new PutEventsCommand({ Entries: [entry] }));
  } catch (error) {
    return rethrowAwsError(error, 'PutEvents');
  }
  const result = output.Entries?.[0];
  if ((output.FailedEntryCount ?? 0) > 0 || result?.ErrorCode !== undefined) {
    const code = result?.ErrorCode ?? 'UnknownError';
    const message = `PutEvents rejected the ${entry.DetailType} reply on bus ${entry.EventBusName}: ${code}: ${result?.ErrorMessage ?? 'no message'}`;
    if (transientEntryErrorCodes.has(code)) throw new TransientAwsError(message);
    throw new Error(message);
  }
  if (result?.EventId === undefined) {
    throw new Error(`PutEvents accepted the ${entry.DetailType} reply but returned no event id`);
  }
  return result.EventId;
}
