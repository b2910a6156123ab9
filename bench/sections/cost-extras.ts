/**
 * The cost lines beyond billed requests: CloudWatch Logs. The handlers' own log bytes are
 * measured (their stdout at the deployed INFO level); Step Functions' execution logs and Lambda's
 * platform records are estimated from event counts with the sizes below.
 */

/**
 * Bytes of one Step Functions log record at level ALL without execution data (an estimate: the
 * record carries ids, type, timestamps and the execution ARN, about 300-400 bytes).
 */
export const stepFunctionsLogRecordBytes = 350;

/** Bytes of Lambda's platform records per invocation in JSON log format (start and report; an estimate). */
export const lambdaPlatformBytesPerInvocation = 600;

/**
 * History events of an execution: each state entered and exited, three more per Lambda task
 * attempt (scheduled, started, succeeded or failed), and the execution's start and end.
 */
export function historyEventCount(stateEntered: number, lambdaInvocations: number): number {
  return 2 * stateEntered + 3 * lambdaInvocations + 2;
}

/** Estimated Step Functions log bytes for a history of that many events. */
export function stepFunctionsLogBytes(historyEvents: number): number {
  return historyEvents * stepFunctionsLogRecordBytes;
}

/** Estimated Lambda platform log bytes for that many invocations. */
export function lambdaPlatformLogBytes(invocations: number): number {
  return invocations * lambdaPlatformBytesPerInvocation;
}

/**
 * Counts what is written to stdout, and swallows it, until `restore`. The handlers' Powertools
 * loggers write their JSON lines there.
 */
export function countStdout(): { bytes(): number; restore(): void } {
  const original = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    const callback = rest.find((argument): argument is () => void => typeof argument === 'function');
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return {
    bytes: () => bytes,
    restore: () => {
      process.stdout.write = original;
    },
  };
}
