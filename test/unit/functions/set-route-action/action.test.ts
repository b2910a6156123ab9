import { describe, expect, it } from 'vitest';
import { desiredRuleAction, ruleHasAction } from '../../../../functions/set-route-action/action.ts';
import { suspendedResponse } from '../../../../functions/shared/config/template-parameters.ts';

const pooled = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/pooled/0123456789abcdef';

describe('desiredRuleAction', () => {
  it('is the fixed suspended response for a suspension, and a forward to the recorded target group for a resume', () => {
    expect(desiredRuleAction('suspended', pooled)).toEqual({ type: 'fixed-response', ...suspendedResponse });
    expect(desiredRuleAction('active', pooled)).toEqual({ type: 'forward', targetGroupArn: pooled });
  });

  it('answers 503 with a JSON body that says nothing about the tenant', () => {
    expect(suspendedResponse.statusCode).toBe('503');
    expect(JSON.parse(suspendedResponse.messageBody)).toEqual({ message: 'This tenant is suspended.' });
  });
});

describe('ruleHasAction', () => {
  const suspended = desiredRuleAction('suspended', pooled);
  const forward = desiredRuleAction('active', pooled);

  it('is true only for exactly the desired action, so an unchanged rule is not modified', () => {
    expect(ruleHasAction([suspended], suspended)).toBe(true);
    expect(ruleHasAction([forward], forward)).toBe(true);
    expect(ruleHasAction([forward], suspended)).toBe(false);
    expect(ruleHasAction([suspended], forward)).toBe(false);
  });

  it('is false for another target group, another body, extra actions or none', () => {
    expect(ruleHasAction([{ type: 'forward', targetGroupArn: `${pooled}-other` }], forward)).toBe(false);
    expect(ruleHasAction([{ ...suspendedResponse, type: 'fixed-response', messageBody: '{}' }], suspended)).toBe(false);
    expect(ruleHasAction([{ type: 'other', actionType: 'authenticate-oidc' }, forward], forward)).toBe(false);
    expect(ruleHasAction([], forward)).toBe(false);
  });
});
