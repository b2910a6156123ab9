/**
 * Counts the handlers' AWS calls from outside: a middleware on each singleton client of
 * functions/shared/aws/clients.ts records every call by service and operation. On DynamoDB it
 * also asks for ReturnConsumedCapacity=TOTAL, so the local DynamoDB (dynalite, which sizes items
 * as DynamoDB does) reports the request units each call consumed; the handlers ignore the field.
 */
import { attachCallMiddleware, handlerClients } from '../../local/sdk-middleware.ts';

/** What the meter saw since its last reset. */
export interface MeterReading {
  /** Calls by `Service Operation` (`DynamoDB PutItem`), failed ones included. */
  readonly calls: Readonly<Record<string, number>>;
  /** Failed calls by `Service Operation ErrorName`. */
  readonly errors: Readonly<Record<string, number>>;
  /** DynamoDB read request units (a strongly consistent read: 1 per 4 KB, at least 1). */
  readonly readUnits: number;
  /** DynamoDB write request units (1 per KB, at least 1; failed conditional writes included). */
  readonly writeUnits: number;
  /** Conditional writes DynamoDB refused (billed, counted as 1 WRU each: every item here is under 1 KB). */
  readonly failedConditionalWrites: number;
  /** Entries put on EventBridge. */
  readonly eventsPut: number;
}

const readOperations = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const writeOperations = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

const serviceNames: Readonly<Record<string, string>> = { SFN: 'StepFunctions', ElasticLoadBalancingV2: 'ELBv2' };

/** `DynamoDBClient` -> `DynamoDB`, `SFNClient` -> `StepFunctions`. */
export function serviceName(clientName: string): string {
  const bare = clientName.replace(/Client$/, '');
  return serviceNames[bare] ?? bare;
}

/** Capacity units in a DynamoDB response's ConsumedCapacity (one object, or a list for batches). */
export function consumedUnits(consumed: unknown): number | undefined {
  const list = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
  const units = list
    .map((entry) => (entry as { CapacityUnits?: number }).CapacityUnits)
    .filter((value): value is number => typeof value === 'number');
  return units.length === 0 ? undefined : units.reduce((sum, value) => sum + value, 0);
}

/**
 * Request units AWS bills for a successful call: what DynamoDB reported, but never less than the
 * minimum of one request (a Query that returns nothing still costs a read).
 */
export function billedUnits(
  operation: string,
  reported: number | undefined,
  consistentRead: boolean,
): { read: number; write: number } {
  if (readOperations.has(operation)) return { read: Math.max(reported ?? 0, consistentRead ? 1 : 0.5), write: 0 };
  if (writeOperations.has(operation)) return { read: 0, write: Math.max(reported ?? 0, 1) };
  return { read: 0, write: 0 };
}

/** Tallies AWS calls and DynamoDB request units. */
export class SdkMeter {
  #calls: Record<string, number> = {};
  #errors: Record<string, number> = {};
  #readUnits = 0;
  #writeUnits = 0;
  #failedConditionalWrites = 0;
  #eventsPut = 0;

  reset(): void {
    this.#calls = {};
    this.#errors = {};
    this.#readUnits = 0;
    this.#writeUnits = 0;
    this.#failedConditionalWrites = 0;
    this.#eventsPut = 0;
  }

  reading(): MeterReading {
    return {
      calls: { ...this.#calls },
      errors: { ...this.#errors },
      readUnits: this.#readUnits,
      writeUnits: this.#writeUnits,
      failedConditionalWrites: this.#failedConditionalWrites,
      eventsPut: this.#eventsPut,
    };
  }

  /** Records one call; `outcome` is the response output or the error it failed with. */
  record(
    service: string,
    operation: string,
    input: Readonly<Record<string, unknown>>,
    outcome: { output?: Readonly<Record<string, unknown>>; error?: { name?: string } },
  ): void {
    const key = `${service} ${operation}`;
    this.#calls[key] = (this.#calls[key] ?? 0) + 1;
    if (service === 'EventBridge' && operation === 'PutEvents' && outcome.output !== undefined) {
      this.#eventsPut += Array.isArray(input.Entries) ? input.Entries.length : 0;
    }
    if (outcome.error !== undefined) {
      const errorKey = `${key} ${outcome.error.name ?? 'Error'}`;
      this.#errors[errorKey] = (this.#errors[errorKey] ?? 0) + 1;
      if (service === 'DynamoDB' && outcome.error.name === 'ConditionalCheckFailedException') {
        this.#failedConditionalWrites += 1;
        this.#writeUnits += 1;
      }
      return;
    }
    if (service !== 'DynamoDB') return;
    const units = billedUnits(
      operation,
      consumedUnits(outcome.output?.ConsumedCapacity),
      input.ConsistentRead === true,
    );
    this.#readUnits += units.read;
    this.#writeUnits += units.write;
  }
}

let meter: SdkMeter | undefined;

/**
 * The process's meter, attached to the handlers' clients on first use. Call it after the local
 * runtime has set the environment (creating a client reads it).
 */
export function sdkMeter(): SdkMeter {
  if (meter !== undefined) return meter;
  const created = new SdkMeter();
  for (const client of Object.values(handlerClients)) {
    attachCallMiddleware(client(), {
      name: 'benchSdkMeter',
      // High: counted before the local runtime answers the call.
      priority: 'high',
      handle: async (call, next) => {
        const service = serviceName(call.clientName);
        try {
          const result = await next(
            service === 'DynamoDB' ? { ...call.input, ReturnConsumedCapacity: 'TOTAL' } : undefined,
          );
          created.record(service, call.operation, call.input, { output: result.output });
          return result;
        } catch (error) {
          created.record(service, call.operation, call.input, { error: error as { name?: string } });
          throw error;
        }
      },
    });
  }
  meter = created;
  return created;
}
