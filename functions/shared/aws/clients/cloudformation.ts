import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { sdkClientConfig } from './config.ts';

let client: CloudFormationClient | undefined;

export function cloudFormationClient(): CloudFormationClient {
  return (client ??= new CloudFormationClient(sdkClientConfig));
}
