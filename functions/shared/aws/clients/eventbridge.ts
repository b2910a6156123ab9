import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { sdkClientConfig } from './config.ts';

let client: EventBridgeClient | undefined;

export function eventBridgeClient(): EventBridgeClient {
  return (client ??= new EventBridgeClient(sdkClientConfig));
}
