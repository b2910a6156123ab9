/**
 * The baseline that load-sensitive timings are divided by: one DynamoDB ListTables over HTTP to
 * the local runtime's DynamoDB through the handlers' own client, the unit most of a step's work is
 * made of. Timed in the same process and the same minute as the figure it divides, it moves with
 * the machine's load as that figure does, so the ratio moves much less than the milliseconds.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '../../functions/shared/aws/clients.ts';
import { percentile } from './stats.ts';

/**
 * The median of `samples` round trips, in milliseconds, after `warmUp` untimed ones (a fresh
 * process's first calls also open the connection and compile the client's code). Needs an open
 * local runtime (its DynamoDB endpoint).
 */
export async function dynamoDbRoundTripMs(samples = 5, warmUp = 0): Promise<number> {
  if (!(Number.isInteger(samples) && samples >= 1))
    throw new RangeError(`samples must be a positive whole number, got ${samples}`);
  for (let call = 0; call < warmUp; call += 1) await dynamoDbClient().send(new ListTablesCommand({}));
  const times: number[] = [];
  for (let sample = 0; sample < samples; sample += 1) {
    const started = performance.now();
    await dynamoDbClient().send(new ListTablesCommand({}));
    times.push(performance.now() - started);
  }
  return percentile(times, 50);
}
