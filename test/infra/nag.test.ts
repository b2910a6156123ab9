import { Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { expect, it } from 'vitest';
import { nagApp, nagFindings } from './nag.ts';
it('nagFindings reports unacknowledged findings instead of throwing', () => {
  const app = nagApp();
  new Bucket(new Stack(app, 'S'), 'B');
  expect(nagFindings(app).map((f) => f.rule)).toContain('AwsSolutions-S10');
});
