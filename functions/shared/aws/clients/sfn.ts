import { SFNClient } from '@aws-sdk/client-sfn';
import { sdkClientConfig } from './config.ts';

let client: SFNClient | undefined;

export function sfnClient(): SFNClient {
  return (client ??= new SFNClient(sdkClientConfig));
}
