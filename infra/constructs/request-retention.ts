/**
 * How long a request can come back after it was sent: the request dead-letter queue keeps an
 * undeliverable request this long, and the redrive tool starts it with its original time. A
 * tombstone must refuse an older onboarding at least that long, plus a day of margin.
 */
import { Duration } from 'aws-cdk-lib';

/** Retention of the request dead-letter queues (SQS allows up to 14 days). */
export const requestDeadLetterRetention = Duration.days(14);

/** Lifetime of a tombstone: the request retention plus a day. */
export const tombstoneLifetime = Duration.seconds(
  requestDeadLetterRetention.toSeconds() + Duration.days(1).toSeconds(),
);
