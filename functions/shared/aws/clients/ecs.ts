import { ECSClient } from '@aws-sdk/client-ecs';
import { sdkClientConfig } from './config.ts';

let client: ECSClient | undefined;

export function ecsClient(): ECSClient {
  return (client ??= new ECSClient(sdkClientConfig));
}
