/**
 * The local event bus: EventBridge's routing of events to rule targets, in process. Rules are
 * the same patterns the CDK app deploys; asynchronous targets (Lambda functions) are retried like
 * Lambda's asynchronous invocations, and what no rule matches or no retry delivers is kept for
 * inspection. A target whose rule asks for it (the admission function, with its on-failure
 * destination) has its last failure kept in the dead-letter queue instead. A rule with a retry
 * policy retries a target that refuses an event synchronously with backoff and, past the last
 * attempt, keeps the event in the dead-letter queue, as the deployed rules' retry policies and
 * SQS dead-letter queues do.
 */
import { randomUUID } from 'node:crypto';
import { simulatedAccount } from '../cloud/aws-shapes.ts';
import type { DeadLetter, UndeliveredEvent } from './api.ts';
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
  /**
   * When the target refuses an event (throws synchronously): retry it with backoff, then
   * dead-letter it. Absent: a refusal is recorded as undelivered at once.
   */
  readonly retryPolicy?: RetryPolicy;
  /**
   * An asynchronous target (a promise) that fails is invoked again like a Lambda function invoked
   * asynchronously: `attempts` in all, backing off from `backoffMs`; past the last, the event goes
   * to the dead-letter queue when `deadLetter` (an on-failure destination), else it is listed as
   * undelivered. Absent: three immediate attempts, then undelivered.
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
   */
  readonly asyncInvocation?: RetryPolicy & { readonly deadLetter: boolean };
}

/** How a rule's target is retried before its event is dead-lettered. */
export interface RetryPolicy {
  /** Delivery attempts in all, the first included. */
  readonly attempts: number;
  /**
   * Delay before the first retry; each later one doubles it (EventBridge backs off exponentially).
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
   */
  readonly backoffMs: number;
}

export interface Delivery {
  readonly rule: string;
  readonly result: unknown;
  /** Resolves when an asynchronous target has finished (retries included); at once otherwise. */
  readonly settled: Promise<void>;
  /**
   * Present when the target refused the event and the rule's retry policy took over: resolves
   * with the target's result once an attempt is accepted, or `undefined` once the event is
   * dead-lettered.
   */
  readonly retried?: Promise<unknown>;
  /** Present when the target is asynchronous: how its invocation went. */
  readonly invocation?: AsyncInvocation;
}

/** The course of an asynchronous invocation and its retries. */
export interface AsyncInvocation {
  /** Resolves with true when the first attempt succeeded, false when it failed (and was retried or given up). */
  readonly firstAttempt: Promise<boolean>;
  /** Resolves once an attempt succeeds (with its result) or the last one failed. */
  readonly outcome: Promise<{ readonly succeeded: true; readonly value: unknown } | { readonly succeeded: false }>;
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
    account: simulatedAccount,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [],
    detail: {},
    ...event,
  } as unknown as BusEvent;
}

/**
 * EventBridge's ERROR_CODE attribute of a dead-letter message, from the target's error or the
 * errors it wraps (a function's TransientAwsError names the SDK's throttling error as its cause).
 */
export function deadLetterErrorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (/Throttl|TooManyRequests|RequestLimitExceeded/.test(current.name)) return 'THROTTLING';
    if (/LimitExceeded/.test(current.name)) return 'RESOURCE_LIMIT_EXCEEDED';
    current = current.cause;
  }
  return 'UNKNOWN';
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LocalBus {
  readonly #rules: readonly BusRule[];
  readonly #pending = new Set<Promise<void>>();
  readonly #undelivered: UndeliveredEvent[] = [];
  readonly #deadLetters: DeadLetter[] = [];
  readonly #onDeadLettersChanged: ((letters: readonly DeadLetter[]) => void) | undefined;

  /** `onDeadLettersChanged`: called whenever the dead-letter queue changes (the runtime persists it at once). */
  constructor(
    rules: readonly BusRule[],
    options: { onDeadLettersChanged?: (letters: readonly DeadLetter[]) => void } = {},
  ) {
    this.#rules = rules;
    this.#onDeadLettersChanged = options.onDeadLettersChanged;
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

  /** The dead-letter queue, oldest first. */
  deadLetters(): DeadLetter[] {
    return structuredClone(this.#deadLetters);
  }

  /** Replaces the dead-letter queue (state loaded from disk, or a reset). */
  loadDeadLetters(letters: readonly DeadLetter[]): void {
    this.#deadLetters.splice(0, this.#deadLetters.length, ...structuredClone(letters));
  }

  /** Removes a dead letter (once it was redriven); false when it is not there. */
  removeDeadLetter(id: string): boolean {
    const index = this.#deadLetters.findIndex((letter) => letter.id === id);
    if (index === -1) return false;
    this.#deadLetters.splice(index, 1);
    this.#deadLettersChanged();
    return true;
  }

  #deliver(rule: BusRule, event: BusEvent, about: { source?: string; detailType?: string }): Delivery {
    const fail = (error: unknown) =>
      this.#undelivered.push({ at: new Date().toISOString(), ...about, rule: rule.name, reason: describeError(error) });
    let result: unknown;
    try {
      result = rule.target(event);
    } catch (error) {
      if (rule.retryPolicy !== undefined) return this.#retry(rule, rule.retryPolicy, event, error);
      fail(error);
      return { rule: rule.name, result: undefined, settled: Promise.resolve() };
    }
    if (!(result instanceof Promise)) return { rule: rule.name, result, settled: Promise.resolve() };
    const policy = rule.asyncInvocation ?? { attempts: asyncAttempts, backoffMs: 0, deadLetter: false };
    let reportFirst: (succeeded: boolean) => void = () => undefined;
    const firstAttempt = new Promise<boolean>((resolve) => {
      reportFirst = resolve;
    });
    const outcome = (async (): Promise<{ succeeded: true; value: unknown } | { succeeded: false }> => {
      let attempt: Promise<unknown> = result;
      for (let tries = 1; ; tries += 1) {
        try {
          const value = await attempt;
          if (tries === 1) reportFirst(true);
          return { succeeded: true, value };
        } catch (error) {
          if (tries === 1) reportFirst(false);
          if (tries >= policy.attempts) {
            if (policy.deadLetter) this.#deadLetter(rule, event, error, tries);
            else fail(error);
            return { succeeded: false };
          }
          if (policy.backoffMs > 0) await delay(policy.backoffMs * 2 ** (tries - 1));
          attempt = Promise.resolve().then(() => rule.target(event));
        }
      }
    })();
    const settled = outcome.then(() => undefined);
    this.#track(settled);
    return { rule: rule.name, result: undefined, settled, invocation: { firstAttempt, outcome } };
  }

  /** Retries a refused event with exponential backoff; past the last attempt it is dead-lettered, never dropped. */
  #retry(rule: BusRule, policy: RetryPolicy, event: BusEvent, firstError: unknown): Delivery {
    const outcome = (async (): Promise<unknown> => {
      let lastError = firstError;
      for (let attempt = 2; attempt <= policy.attempts; attempt += 1) {
        await delay(policy.backoffMs * 2 ** (attempt - 2));
        try {
          return rule.target(event);
        } catch (error) {
          lastError = error;
        }
      }
      this.#deadLetter(rule, event, lastError, Math.max(policy.attempts, 1));
      return undefined;
    })();
    const settled = outcome.then(() => undefined);
    this.#track(settled);
    return { rule: rule.name, result: undefined, settled, retried: outcome };
  }

  /** Keeps an event no attempt delivered, with why, until it is redriven. */
  #deadLetter(rule: BusRule, event: BusEvent, error: unknown, attempts: number): void {
    this.#deadLetters.push({
      id: randomUUID(),
      at: new Date().toISOString(),
      rule: rule.name,
      errorCode: deadLetterErrorCode(error),
      errorMessage: describeError(error),
      attempts,
      event: structuredClone(event) as Record<string, unknown>,
    });
    this.#deadLettersChanged();
  }

  /** Tells the owner (which persists the queue); a failure to do so must not lose the letter, still held here. */
  #deadLettersChanged(): void {
    try {
      this.#onDeadLettersChanged?.(this.deadLetters());
    } catch {
      // The queue is saved again when the runtime closes.
    }
  }

  #track(delivery: Promise<void>): void {
    this.#pending.add(delivery);
    void delivery.finally(() => this.#pending.delete(delivery));
  }
}
