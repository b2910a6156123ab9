/**
 * The moto target: the handlers' SDK clients sent to a running `moto_server` (AWS_ENDPOINT_URL,
 * throwaway credentials), with the resources the orchestrator expects to exist created there first
 * (moto's default VPC and subnets, two load balancers with a listener and a pooled target group
 * each, the shared cluster, the tables, the onboarding state machine, the bus, and the published
 * tenant templates in an S3 bucket, since CloudFormation reads TemplateURL from S3).
 * Setup uses clients of its own (and plain HTTP for EC2 and S3, whose SDK clients the project does
 * not depend on); only the scenarios use the handlers' singletons.
 */
import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import {
  type RouteListener,
  readCloudFormationRoleArn,
  readStackConfig,
} from '../../functions/shared/config/environment.ts';
import { shippedTemplates } from '../../infra/tenant-templates/versions.ts';
import { createTables } from '../../local/dynamodb.ts';
import { applyLocalEnvironment } from '../../local/runtime/environment.ts';
import { localStateMachineArn } from '../../local/workflow-runner.ts';
import { missingListenerArn, missingTargetGroupArn } from './local-world.ts';
import type { World } from './world.ts';

const region = 'us-east-1';
const credentials = { accessKeyId: 'differential', secretAccessKey: 'differential' };

/** A request moto routes by the service named in the credential scope; it does not check signatures. */
async function motoRequest(
  endpoint: string,
  service: 'ec2' | 's3',
  method: string,
  path: string,
  body?: string,
  contentType = 'application/x-www-form-urlencoded',
): Promise<string> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      'content-type': contentType,
    },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`moto ${service} ${method} ${path}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

function tagValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((match) => match[1] ?? '');
}

async function ec2(endpoint: string, action: string, parameters: Record<string, string> = {}): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: '2016-11-15', ...parameters }).toString();
  return motoRequest(endpoint, 'ec2', 'POST', '/', body);
}

/**
 * The handlers' environment, pointed at moto: the local runtime's settings (a caller's own values
 * win, as there), moto as every service's endpoint, and the resources created in moto. Set before
 * any SDK client is created.
 */
function applyMotoEnvironment(endpoint: string, overrides: Record<string, string>): void {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  applyLocalEnvironment(endpoint);
  Object.assign(process.env, overrides, {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL: endpoint,
  });
}

/** A setting the local runtime's environment gives every handler. */
function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`the local runtime's environment has no ${name}`);
  return value;
}

export async function openMotoWorld(endpoint: string): Promise<World> {
  applyMotoEnvironment(endpoint, {});
  const clientConfig = { endpoint, region, credentials };
  const elb = new ElasticLoadBalancingV2Client(clientConfig);
  const ecs = new ECSClient(clientConfig);
  const sfn = new SFNClient(clientConfig);
  const events = new EventBridgeClient(clientConfig);
  try {
    const vpcs = await ec2(endpoint, 'DescribeVpcs', { 'Filter.1.Name': 'is-default', 'Filter.1.Value.1': 'true' });
    const vpcId = tagValues(vpcs, 'vpcId')[0];
    if (vpcId === undefined) throw new Error('moto has no default VPC');
    const subnets = await ec2(endpoint, 'DescribeSubnets', { 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': vpcId });
    const subnetIds = [...new Set(tagValues(subnets, 'subnetId'))].slice(0, 2);
    const groups = await ec2(endpoint, 'DescribeSecurityGroups', {
      'Filter.1.Name': 'vpc-id',
      'Filter.1.Value.1': vpcId,
    });
    const securityGroupId = tagValues(groups, 'groupId')[0];
    if (subnetIds.length < 2 || securityGroupId === undefined)
      throw new Error('moto default VPC lacks subnets or a group');

    const listeners: RouteListener[] = [];
    for (const index of [1, 2]) {
      const group = await elb.send(
        new CreateTargetGroupCommand({
          Name: `pooled-${index}`,
          Protocol: 'HTTP',
          Port: 8080,
          VpcId: vpcId,
          TargetType: 'ip',
        }),
      );
      const pooledTargetGroupArn = group.TargetGroups?.[0]?.TargetGroupArn ?? '';
      const balancer = await elb.send(
        new CreateLoadBalancerCommand({
          Name: `tenants-${index}`,
          Subnets: subnetIds,
          SecurityGroups: [securityGroupId],
          Type: 'application',
        }),
      );
      const listener = await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: balancer.LoadBalancers?.[0]?.LoadBalancerArn ?? '',
          Protocol: 'HTTP',
          Port: 80,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: pooledTargetGroupArn }],
        }),
      );
      listeners.push({ listenerArn: listener.Listeners?.[0]?.ListenerArn ?? '', capacity: 100, pooledTargetGroupArn });
    }
    const [first, second] = listeners as [RouteListener, RouteListener];

    const sharedParameters: Record<string, string> = {
      ...(JSON.parse(setting('TENANT_STACK_PARAMETERS')) as Record<string, string>),
      VpcId: vpcId,
      SubnetIds: subnetIds.join(','),
      LoadBalancerSecurityGroupId: securityGroupId,
    };
    applyMotoEnvironment(endpoint, {
      ROUTE_LISTENERS: JSON.stringify(listeners),
      TENANT_STACK_PARAMETERS: JSON.stringify(sharedParameters),
    });
    const stackConfig = readStackConfig();
    const sharedCluster = sharedParameters.SharedClusterName ?? 'shared-tenants';
    await ecs.send(new CreateClusterCommand({ clusterName: sharedCluster }));

    // The published templates, where TEMPLATE_BASE_URL says (bucket `templates`, virtual-host style).
    const base = new URL(setting('TEMPLATE_BASE_URL'));
    const bucket = base.hostname.split('.')[0] ?? 'templates';
    await motoRequest(endpoint, 's3', 'PUT', `/${bucket}`);
    // Every shipped version, as a deployment publishes them.
    for (const { model, version, template } of shippedTemplates()) {
      const key = `${base.pathname.replace(/^\/|\/$/g, '')}/${model}/${version}/template.json`;
      await motoRequest(endpoint, 's3', 'PUT', `/${bucket}/${key}`, JSON.stringify(template), 'application/json');
    }

    const registryTable = setting('TENANT_REGISTRY_TABLE');
    await createTables(endpoint, { registry: registryTable, idempotency: setting('IDEMPOTENCY_TABLE') });
    const stateMachineArn = localStateMachineArn('onboarding');
    await sfn.send(
      new CreateStateMachineCommand({
        name: stateMachineArn.split(':').pop() ?? 'tenant-onboarding',
        roleArn: 'arn:aws:iam::111122223333:role/tenant-onboarding',
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }),
      }),
    );
    await events.send(new CreateEventBusCommand({ Name: setting('EVENT_BUS_NAME') }));

    const aliases: Record<string, string> = {
      [first.listenerArn]: '<listener-1>',
      [second.listenerArn]: '<listener-2>',
      [first.pooledTargetGroupArn]: '<pooled-target-group-1>',
      [second.pooledTargetGroupArn]: '<pooled-target-group-2>',
    };
    for (const [key, value] of Object.entries(sharedParameters)) aliases[value] = `<${key}>`;
    return {
      target: 'moto',
      listeners: [first, second],
      missingListenerArn,
      missingTargetGroupArn,
      sharedCluster,
      registryTable,
      stateMachineArn,
      eventBusName: setting('EVENT_BUS_NAME'),
      stackConfig,
      cloudFormationRoleArn: readCloudFormationRoleArn(),
      aliases,
      async close() {},
    };
  } finally {
    for (const client of [elb, ecs, sfn, events]) client.destroy();
  }
}
