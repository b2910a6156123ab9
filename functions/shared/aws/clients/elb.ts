import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { sdkClientConfig } from './config.ts';

let client: ElasticLoadBalancingV2Client | undefined;

export function elbClient(): ElasticLoadBalancingV2Client {
  return (client ??= new ElasticLoadBalancingV2Client(sdkClientConfig));
}
