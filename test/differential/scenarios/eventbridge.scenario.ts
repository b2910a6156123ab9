/** EventBridge: the reply step's PutEvents through functions/shared/aws/bus.ts. */
import { putReply } from '../../../functions/shared/aws/bus.ts';
import { failureWithMessage, type Scenario } from '../scenario.ts';

export const eventBridgeScenarios: readonly Scenario[] = [
  {
    name: 'eventbridge-put-reply',
    service: 'EventBridge',
    calls: ['PutEvents'],
    async run(world) {
      const eventId = await putReply({
        EventBusName: world.eventBusName,
        Source: 'sbt.application.plane',
        DetailType: 'Onboarding Success',
        Detail: JSON.stringify({ tenantId: 'diff-reply', jobOutput: { ok: true } }),
      });
      return { eventId };
    },
  },
  {
    name: 'eventbridge-malformed-detail',
    service: 'EventBridge',
    calls: ['PutEvents (Detail not a JSON object: a per-entry failure)'],
    async run(world) {
      const failure = await failureWithMessage(() =>
        putReply({
          EventBusName: world.eventBusName,
          Source: 'sbt.application.plane',
          DetailType: 'Onboarding Success',
          Detail: '"not an object"',
        }),
      );
      return { thrown: failure.thrown, errorCode: /: (\w+): /.exec(failure.message ?? '')?.[1] ?? null };
    },
  },
];
