import { describe, expect, it } from 'vitest';
import { environmentVariables } from '../../../../functions/shared/config/environment.ts';
import { applyLocalEnvironment } from '../../../../local/runtime/environment.ts';

describe('applyLocalEnvironment', () => {
  it('sets every variable a handler reads', () => {
    const env: NodeJS.ProcessEnv = {};

    applyLocalEnvironment('http://127.0.0.1:4567', env);

    for (const name of Object.values(environmentVariables)) expect(env[name], name).toBeTruthy();
    expect(env.POWERTOOLS_LOG_LEVEL).toBe('WARN');
  });

  it('keeps settings the caller chose, but dictates region, credentials, endpoint and state machines', () => {
    const env: NodeJS.ProcessEnv = {
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      TENANT_DOMAIN: 'saas.example.org',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIAREALKEY',
      AWS_SESSION_TOKEN: 'real-session',
      AWS_PROFILE: 'production',
      ONBOARDING_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:999999999999:stateMachine:other',
    };

    applyLocalEnvironment('http://127.0.0.1:4567', env);

    expect(env).toMatchObject({
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      TENANT_DOMAIN: 'saas.example.org',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4567',
      ONBOARDING_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-onboarding',
    });
    expect(env.AWS_SESSION_TOKEN).toBeUndefined();
    expect(env.AWS_PROFILE).toBeUndefined();
  });
});
