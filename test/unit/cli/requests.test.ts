import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultContractConfig, parseRequest, type ContractConfig } from '../../../events/contract.ts';
import { InputError } from '../../../cli/exit-codes.ts';
import {
  assertPutEventsSize,
  demoOnboardingEvent,
  demoTiers,
  exampleAdminEmail,
  maxPutEventsEntryBytes,
  offboardingEvent,
  onboardingEvent,
  putEventsEntrySize,
  readEventFile,
} from '../../../cli/requests.ts';

const contract: ContractConfig = { ...defaultContractConfig, eventBusName: 'saas-bus' };
const now = new Date(Date.UTC(2026, 10, 20, 10, 0, 0, 123));

describe('onboardingEvent', () => {
  it('is a valid onboarding request as the control plane sends it', () => {
    const event = onboardingEvent(
      { tenantId: 't-1', registrationId: 'r-1', tenantName: 'Acme Corp', tier: 'premium' },
      'e-1',
      now,
    );
    expect(parseRequest(event, contract)).toEqual({
      operation: 'onboarding',
      tenantId: 't-1',
      registrationId: 'r-1',
      tenantName: 'Acme Corp',
      tier: 'premium',
      eventId: 'e-1',
      requestedAt: '2026-11-20T10:00:00Z',
    });
    expect(event).toMatchObject({
      source: 'sbt.control.plane',
      'detail-type': 'sbt_aws_onboardingRequest',
      detail: { email: 'admin@acme-corp.example.com', registrationStatus: 'In progress' },
    });
  });

  it('keeps an unknown tier for the workflow to answer', () => {
    expect(
      onboardingEvent({ tenantId: 't', registrationId: 'r', tenantName: 'h', tier: 'platinum' }, 'e', now).detail.tier,
    ).toBe('platinum');
  });
});

describe('exampleAdminEmail', () => {
  it('uses an example domain made from the name', () => {
    expect(exampleAdminEmail('Globex & Co')).toBe('admin@globex-co.example.com');
    expect(exampleAdminEmail('!!!')).toBe('admin@tenant.example.com');
  });
});

describe('offboardingEvent', () => {
  it('carries what the control plane knows of the tenant', () => {
    const event = offboardingEvent(
      't-1',
      'r-2',
      { tenantName: 'acme', tier: 'premium', tenantConfig: '{"tier":"premium"}' },
      'e-2',
      now,
    );
    expect(parseRequest(event, contract)).toMatchObject({
      operation: 'offboarding',
      tenantId: 't-1',
      registrationId: 'r-2',
      tenantName: 'acme',
      tier: 'premium',
    });
    expect(event.detail).toMatchObject({ tenantConfig: '{"tier":"premium"}', registrationStatus: 'created' });
  });

  it('is still a valid request for a tenant the registry does not know', () => {
    const event = offboardingEvent('ghost', 'r-3', undefined, 'e-3', now);
    expect(parseRequest(event, contract)).toMatchObject({ operation: 'offboarding', tenantId: 'ghost' });
    expect(Object.keys(event.detail).sort()).toEqual(['registrationStatus', 'tenantId', 'tenantRegistrationId']);
  });
});

describe('demoOnboardingEvent', () => {
  it.each(demoTiers)('is the %s sample with fresh ids', (tier) => {
    const event = demoOnboardingEvent(
      tier,
      { tenantId: 'fresh-tenant', registrationId: 'fresh-registration', eventId: 'fresh-event' },
      now,
    );
    const request = parseRequest(event, contract);
    expect(request).toMatchObject({
      tenantId: 'fresh-tenant',
      registrationId: 'fresh-registration',
      tier,
      eventId: 'fresh-event',
    });
  });
});

describe('readEventFile', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cli-requests-'));

  it('reads a JSON event', () => {
    const file = join(folder, 'event.json');
    writeFileSync(file, '{"detail-type":"x"}');
    expect(readEventFile(file)).toEqual({ 'detail-type': 'x' });
  });

  it('explains a missing file', () => {
    expect(() => readEventFile(join(folder, 'missing.json'))).toThrow(
      new InputError(`cannot read ${join(folder, 'missing.json')}: no such file`),
    );
  });

  it('explains a folder', () => {
    const sub = join(folder, 'sub');
    mkdirSync(sub);
    expect(() => readEventFile(sub)).toThrow(/it is a folder/);
  });

  it('explains invalid JSON', () => {
    const file = join(folder, 'broken.json');
    writeFileSync(file, '{"detail": ');
    expect(() => readEventFile(file)).toThrow(InputError);
    expect(() => readEventFile(file)).toThrow(`${file} is not valid JSON`);
  });
});

describe('putEventsEntrySize and assertPutEventsSize', () => {
  it('counts as EventBridge does: 14 bytes of time, then UTF-8 bytes of source, detail-type, detail JSON and resources', () => {
    const event = {
      version: '0',
      id: 'not counted',
      time: '2026-11-20T10:00:00Z',
      source: 's',
      'detail-type': 'dt',
      detail: { n: 'é' },
      resources: ['r1', 'r2'],
    };

    // 14 + 1 + 2 + {"n":"é"} (9 characters, 10 bytes) + 2 + 2
    expect(putEventsEntrySize(event)).toBe(31);
  });

  it('takes an event of exactly 256 KB and refuses one byte more, naming sizes only', () => {
    const event = (bytes: number) => {
      const base = {
        source: 'sbt.control.plane',
        'detail-type': 'sbt_aws_onboardingRequest',
        detail: { tenantName: '', email: 'ops@globex.example' },
      };
      return { ...base, detail: { ...base.detail, tenantName: 'a'.repeat(bytes - putEventsEntrySize(base)) } };
    };

    expect(() => assertPutEventsSize(event(maxPutEventsEntryBytes))).not.toThrow();
    expect(() => assertPutEventsSize(event(maxPutEventsEntryBytes + 1))).toThrow(
      new InputError(
        'the event is 262,145 bytes: EventBridge takes at most 262,144 bytes per PutEvents entry, so the control plane could not send it',
      ),
    );
  });
});
