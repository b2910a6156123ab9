/**
 * The local runtime's state folder: plain JSON files written on close and read on open, so
 * successive commands (separate processes) see one cloud. A lock file names the process using
 * the folder; DynamoDB tables are saved as their items (Scan) and loaded back (BatchWriteItem),
 * not as dynalite's LevelDB files, so no process ever waits on another's database lock.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchWriteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateFolderInUseError } from './api.ts';

/** File names in the state folder. */
export const StateFile = {
  cloud: 'cloud.json',
  tables: 'dynamodb.json',
  executions: 'executions.json',
  replies: 'replies.json',
  undelivered: 'undelivered.json',
  lock: 'lock',
} as const;

type Item = Record<string, AttributeValue>;

/** Binary attributes (Uint8Array) survive JSON as `{ "$base64": "..." }`. */
function replacer(this: unknown, _key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $base64: Buffer.from(value).toString('base64') } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 1 && '$base64' in value) {
    return new Uint8Array(Buffer.from(String((value as { $base64: string }).$base64), 'base64'));
  }
  return value;
}

export function readState<T>(directory: string, file: string): T | undefined {
  const path = join(directory, file);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'), reviver) as T;
  } catch (error) {
    throw new Error(
      `The local state file ${path} is not valid JSON; run reset (or delete the folder) to start afresh`,
      { cause: error },
    );
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves half a file. */
export function writeState(directory: string, file: string, value: unknown): void {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, file);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, replacer, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Deletes every state file (the lock stays with its holder). */
export function clearState(directory: string): void {
  for (const file of Object.values(StateFile)) {
    if (file !== StateFile.lock) rmSync(join(directory, file), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live process, other than this one, that holds the folder; undefined when none does. */
export function stateFolderHolder(directory: string): number | undefined {
  const path = join(directory, StateFile.lock);
  const holder = existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : undefined;
  return holder !== undefined && Number.isInteger(holder) && holder !== process.pid && isAlive(holder)
    ? holder
    : undefined;
}

/**
 * Takes the folder for this process. A lock left by a process that has exited is taken over.
 *
 * @throws StateFolderInUseError naming the process that holds the folder.
 */
export function lockState(directory: string): void {
  mkdirSync(directory, { recursive: true });
  const holder = stateFolderHolder(directory);
  if (holder !== undefined) throw new StateFolderInUseError(directory, holder);
  writeFileSync(join(directory, StateFile.lock), `${process.pid}\n`);
}

export function unlockState(directory: string): void {
  rmSync(join(directory, StateFile.lock), { force: true });
}

/** Every item of each table. */
export async function snapshotTables(
  client: DynamoDBClient,
  tableNames: readonly string[],
): Promise<Record<string, Item[]>> {
  const snapshot: Record<string, Item[]> = {};
  for (const TableName of tableNames) {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName, ConsistentRead: true, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey !== undefined);
    snapshot[TableName] = items;
  }
  return snapshot;
}

/** Writes saved items back into (empty, existing) tables. */
export async function restoreTables(
  client: DynamoDBClient,
  snapshot: Readonly<Record<string, readonly Item[]>>,
): Promise<void> {
  for (const [TableName, items] of Object.entries(snapshot)) {
    for (let start = 0; start < items.length; start += 25) {
      let requests: Record<string, { PutRequest: { Item: Item } }[]> | undefined = {
        [TableName]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })),
      };
      // dynalite takes whole batches, but an unprocessed remainder is resent as DynamoDB requires.
      for (let attempt = 0; requests !== undefined && Object.keys(requests).length > 0; attempt += 1) {
        if (attempt >= 10) throw new Error(`Could not restore table ${TableName}: items stayed unprocessed`);
        const result = await client.send(new BatchWriteItemCommand({ RequestItems: requests }));
        requests = result.UnprocessedItems as typeof requests;
      }
    }
  }
}
