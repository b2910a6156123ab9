import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SupersededError, TenantBusyError } from '../../../../../functions/shared/step/errors.ts';
import { lambdaContext } from '../../../../../local/workflow-runner.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../../../../../functions/shared/step/handler.ts';

const context = lambdaContext('some-step');

const tenantId = 't-1';
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:e1';

let output: string[] = [];

/** The log lines written in this test, parsed. */
function logLines(): Record<string, unknown>[] {
  return output
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A step whose core adds the tenant's keys, then throws `error`. The logger prints (its level is read when it is created). */
function failingStep(error: Error) {
  const previous = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  const logger = createLogger('some-step');
  if (previous === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previous;
  return stepHandler(logger, async () => {
    appendTenantKeys(logger, { tenantId, executionArn });
    throw error;
  });
}

beforeEach(() => {
  output = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('stepHandler', () => {
  it("logs a superseded execution, and only that, with `superseded: true` and the tenant's keys (for the SupersededExecutions metric), and still throws", async () => {
    const busy = new TenantBusyError('tenant t-1 is busy');
    const error = new SupersededError(
      `Execution ${executionArn} (attempt 0) no longer holds the lock of tenant ${tenantId}`,
    );

    await expect(failingStep(busy)({}, context)).rejects.toBe(busy);
    await expect(failingStep(error)({}, context)).rejects.toBe(error);

    const superseded = logLines().filter((line) => 'superseded' in line);
    expect(superseded).toEqual([
      expect.objectContaining({
        level: 'WARN',
        service: 'some-step',
        superseded: true,
        reason: error.message,
        tenantId,
        executionArn,
      }),
    ]);
  });
});
