/**
 * The local event bus: EventBridge's routing of events to rule targets, in process. Rules are
 * the same patterns the CDK app deploys; asynchronous targets (the failure reporter) are retried
 * like Lambda's asynchronous invocations, and what no rule matches or no retry delivers is kept
 * for inspection.
 */
import { randomUUID } from 'node:crypto';
import type { UndeliveredEvent } from './api.ts';
import { matchesPattern, type EventPattern } from './event-pattern.ts';

/** An event as EventBridge delivers it to targets. */
export interface BusEvent {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
  readonly [field: string]: unknown;
}

/** A rule and its one target. */
export interface BusRule {
  readonly name: string;
  readonly pattern: EventPattern;
  /**
   * Receives a matching event. A synchronous result is handed back to the publisher; a promise is
   * an asynchronous invocation, tracked until it settles and retried when it rejects.
   */
  readonly target: (event: BusEvent) => unknown;
}


export interface Delivery {
  readonly rule: string;
  readonly result: unknown;
  /** Resolves when an asynchronous target has finished (retries included); at once otherwise. */
  readonly settled: Promise<void>;
}

/** What publishing one event did. */
export interface Publication {
  readonly event: unknown;
  /** Matched rules, each with its target's synchronous result and when its delivery has settled. */
  readonly deliveries: readonly Delivery[];
}

/** Lambda retries a failed asynchronous invocation twice. */
const asyncAttempts = 3;

/** Completes the envelope EventBridge adds to what a producer puts (id, time, account, region...). */
export function envelope(event: Record<string, unknown>): BusEvent {
  return {
    version: '0',
    id: randomUUID(),
    account: '111122223333',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [],
    detail: {},
    ...event,
  } as unknown as BusEvent;
}

export class LocalBus {
  readonly #rules: readonly BusRule[];
  readonly #pending = new Set<Promise<void>>();
  readonly #undelivered: UndeliveredEvent[] = [];

  constructor(rules: readonly BusRule[]) {
    this.#rules = rules;
  }

  /** Routes one event to every rule it matches; returns at once, asynchronous targets keep running. */
  publish(event: unknown): Publication {
    const matched = this.#rules.filter((rule) => matchesPattern(rule.pattern, event));
    const raw = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
    const about = {
      ...(typeof raw.source === 'string' ? { source: raw.source } : {}),
      ...(typeof raw['detail-type'] === 'string' ? { detailType: raw['detail-type'] } : {}),
    };
    if (matched.length === 0) {
      this.#undelivered.push({ at: new Date().toISOString(), ...about, reason: 'No rule matched the event' });
      return { event, deliveries: [] };
    }
    const deliveries = matched.map((rule) => this.#deliver(rule, event as BusEvent, about));
    return { event, deliveries };
  }

  /** Resolves when every asynchronous delivery so far (and any it caused) has settled. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Number of asynchronous deliveries still running. */
  get pending(): number {
    return this.#pending.size;
  }

  undelivered(): UndeliveredEvent[] {
    return [...this.#undelivered];
  }

  load(events: readonly UndeliveredEvent[]): void {
    this.#undelivered.splice(0, this.#undelivered.length, ...events);
  }

  #deliver(rule: BusRule, event: BusEvent, about: { source?: string; detailType?: string }): Delivery {
    const fail = (error: unknown) =>
      this.#undelivered.push({ at: new Date().toISOString(), ...about, rule: rule.name, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    let result: unknown;
    try {
      result = rule.target(event);
    } catch (error) {
      fail(error);
      return { rule: rule.name, result: undefined, settled: Promise.resolve() };
    }
    if (!(result instanceof Promise)) return { rule: rule.name, result, settled: Promise.resolve() };
    const retried = (async () => {
      let attempt: Promise<unknown> = result;
      for (let tries = 1; ; tries += 1) {
        try {
          await attempt;
          return;
        } catch (error) {
          if (tries >= asyncAttempts) {
            fail(error);
            return;
          }
          attempt = Promise.resolve().then(() => rule.target(event));
        }
      }
    })();
    this.#pending.add(retried);
    void retried.finally(() => this.#pending.delete(retried));
    return { rule: rule.name, result: undefined, settled: retried };
  }
}
