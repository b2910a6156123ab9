/**
 * The shape every step handler shares: middy + Powertools Logger with the Lambda context,
 * and the tenant id and execution on every log line once the step knows them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** A logger for one function; the service name is the step's function name. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** Adds the ids every line of this invocation should carry (never personal data). */
export function appendTenantKeys(
  logger: Logger,
  ids: { tenantId?: string; executionArn?: string; registrationId?: string },
): void {
  logger.appendKeys({
    ...(ids.tenantId !== undefined ? { tenantId: ids.tenantId } : {}),
    ...(ids.executionArn !== undefined ? { executionArn: ids.executionArn } : {}),
    ...(ids.registrationId !== undefined ? { registrationId: ids.registrationId } : {}),
  });
}

/**
 * Wraps a step's core function as a Lambda handler. Keys appended during an invocation
 * are cleared before the next one, so one tenant's ids never leak into another's logs.
 */
export function stepHandler<TEvent, TResult>(
  logger: Logger,
  run: (event: TEvent, context: Context) => Promise<TResult>,
) {
  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      // Runs before the logger middleware clears the invocation's keys (middy runs onError in reverse order).
      onError: (request) => {
        if (request.error?.name !== 'Superseded') return;
        // `superseded: true` feeds the SupersededExecutions metric (infra/constructs/monitoring.ts).
        logger.warn('Execution superseded: it stops here without changing anything or replying', {
          superseded: true,
          reason: request.error.message,
        });
      },
    });
}
