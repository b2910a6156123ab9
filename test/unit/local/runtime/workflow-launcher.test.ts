import { describe, expect, it } from 'vitest';
import { ExecutionStatusChangeSchema } from '../../../../functions/report-failure/failure.ts';
import type { ExecutionRecord } from '../../../../local/runtime/executions.ts';
import { statusChangeEvent } from '../../../../local/runtime/workflow-launcher.ts';

function failed(fields: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:onboarding-t1-abc123',
    name: 'onboarding-t1-abc123',
    workflow: 'onboarding',
    status: 'FAILED',
    startedAt: '2026-11-20T10:00:00.000Z',
    stoppedAt: '2026-11-20T10:05:00.000Z',
    error: 'StackCreationFailed',
    cause: 'rolled back',
    transitions: 4,
    input: '{"detail":{}}',
    history: [],
    ...fields,
  };
}

describe('statusChangeEvent', () => {
  it('is the event Step Functions emits for a failed execution, first attempt', () => {
    const event = statusChangeEvent(failed()) as { source: string; 'detail-type': string; detail: Record<string, unknown> };

    expect(event).toMatchObject({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change' });
    expect(event.detail).toMatchObject({
      status: 'FAILED',
      stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-onboarding',
      startDate: Date.parse('2026-11-20T10:00:00.000Z'),
      stopDate: Date.parse('2026-11-20T10:05:00.000Z'),
      redriveCount: 0,
      redriveDate: null,
    });
    expect(ExecutionStatusChangeSchema.parse(event).detail.redriveCount).toBe(0);
  });

  it('names the attempt of a redriven execution, which emits its events again under the same ARN', () => {
    const event = statusChangeEvent(failed({ redriveCount: 2, redrivenAt: '2026-11-20T10:04:00.000Z' })) as { detail: Record<string, unknown> };

    expect(event.detail).toMatchObject({ redriveCount: 2, redriveDate: Date.parse('2026-11-20T10:04:00.000Z') });
  });
});
