import { describe, expect, it } from 'vitest';
import catalogJson from '../../../../../functions/shared/config/tiers.json' with { type: 'json' };
import { tierCatalog } from '../../../../../functions/shared/config/catalog.ts';
import { InvalidTierCatalogError, UnknownTierError } from '../../../../../functions/shared/step/errors.ts';
import {
  fargateSizeProblem,
  loadTierCatalog,
  selectTier,
} from '../../../../../functions/shared/config/tier-catalog.ts';

/** A deep copy of the shipped catalog, changed by `edit`. */
function catalogWith(edit: (catalog: any) => void): unknown {
  const copy = structuredClone(catalogJson) as any;
  edit(copy);
  return copy;
}

function loadError(raw: unknown): InvalidTierCatalogError {
  try {
    loadTierCatalog(raw);
  } catch (error) {
    if (error instanceof InvalidTierCatalogError) return error;
    throw error;
  }
  throw new Error('expected the catalog to be rejected');
}

describe('loadTierCatalog', () => {
  it('loads the shipped catalog with its three default tiers', () => {
    const catalog = loadTierCatalog(catalogJson);

    expect(Object.keys(catalog.tiers)).toEqual(['basic', 'advanced', 'premium']);
    expect(catalog.tiers.basic?.isolationModel).toBe('pool');
    expect(catalog.tiers.advanced?.isolationModel).toBe('silo-services');
    expect(catalog.tiers.premium?.isolationModel).toBe('silo-cluster');
    expect(catalog.templateVersions).toEqual({ 'silo-services': '1.0.0', 'silo-cluster': '1.0.0' });
    expect(tierCatalog).toEqual(catalog);
  });

  it.each([
    [
      'services.0.cpu',
      (c: any) => (c.tiers.premium.services[0].cpu = 300),
      'tiers.premium.services.0.cpu: must be one of the Fargate CPU sizes 256, 512, 1024, 2048, 4096, 8192, 16384',
    ],
    ['services.0.memory', (c: any) => (c.tiers.premium.services[0].memory = 100), 'tiers.premium.services.0.memory:'],
    [
      'services.0.memory (not an integer)',
      (c: any) => (c.tiers.premium.services[0].memory = 1024.5),
      'tiers.premium.services.0.memory: must be an integer',
    ],
    [
      'a cpu/memory pair Fargate does not offer',
      (c: any) => Object.assign(c.tiers.premium.services[0], { cpu: 256, memory: 4096 }),
      'tiers.premium.services.0.memory: must be one of 512, 1024, 2048 MiB for cpu 256 (Fargate task sizes)',
    ],
    // 1536 lies between 512 and 2048 in 512 steps, yet Fargate has no 256/1536 size.
    [
      '256 CPU with 1536 MiB',
      (c: any) => Object.assign(c.tiers.premium.services[0], { cpu: 256, memory: 1536 }),
      'tiers.premium.services.0.memory: must be one of 512, 1024, 2048 MiB for cpu 256 (Fargate task sizes)',
    ],
    [
      '8192 CPU off its 4 GB steps',
      (c: any) => Object.assign(c.tiers.premium.services[0], { cpu: 8192, memory: 18432 }),
      'tiers.premium.services.0.memory: must be one of 16384 to 61440 in steps of 4096 MiB for cpu 8192 (Fargate task sizes)',
    ],
    ['services.1.port', (c: any) => (c.tiers.premium.services[1].port = 70000), 'tiers.premium.services.1.port:'],
    [
      'services.0.desiredCount',
      (c: any) => (c.tiers.basic.services[0].desiredCount = 0),
      'tiers.basic.services.0.desiredCount:',
    ],
    [
      'services.0.name',
      (c: any) => (c.tiers.basic.services[0].name = 'Web_1'),
      'tiers.basic.services.0.name: must be 1-20 characters of lower-case letters, digits and hyphens, starting with a letter',
    ],
    [
      'services.0.image',
      (c: any) => (c.tiers.basic.services[0].image = ''),
      'tiers.basic.services.0.image: must not be empty',
    ],
    [
      'services.0.healthCheckPath',
      (c: any) => (c.tiers.advanced.services[0].healthCheckPath = 'health'),
      'tiers.advanced.services.0.healthCheckPath: must be a path starting with /',
    ],
    [
      'a duplicate service name',
      (c: any) => (c.tiers.premium.services[1].name = 'web'),
      'tiers.premium.services.1.name: duplicates service name "web"',
    ],
    ['no services', (c: any) => (c.tiers.basic.services = []), 'tiers.basic.services: must list at least one service'],
    [
      'too many services',
      (c: any) =>
        (c.tiers.basic.services = Array.from({ length: 5 }, (_, i) => ({
          ...c.tiers.basic.services[0],
          name: `s${i}`,
        }))),
      'tiers.basic.services: must list at most 4 services',
    ],
    [
      'isolationModel',
      (c: any) => (c.tiers.basic.isolationModel = 'bridge'),
      'tiers.basic.isolationModel: must be one of pool, silo-services, silo-cluster',
    ],
    [
      'route.style',
      (c: any) => (c.tiers.basic.route.style = 'path'),
      'tiers.basic.route.style: must be "host" or "header"',
    ],
    ['an unknown tier key', (c: any) => (c.tiers.basic.price = 10), 'tiers.basic:'],
    [
      'templateVersions',
      (c: any) => (c.templateVersions['silo-cluster'] = 'latest'),
      'templateVersions.silo-cluster: must be a version like 1.0.0',
    ],
    // zod 4 reports a bad record key as invalid_key with the custom message nested; the field is still named.
    ['a tier name', (c: any) => (c.tiers.Gold = c.tiers.basic), 'tiers.Gold: Invalid key in record'],
    ['no tiers', (c: any) => (c.tiers = {}), 'tiers: must define at least one tier'],
  ])('names the bad field: %s', (_case, edit, expected) => {
    const error = loadError(catalogWith(edit));

    expect(error.name).toBe('InvalidTierCatalog');
    expect(error.message).toContain(expected);
  });

  it('names every bad field at once', () => {
    const error = loadError(
      catalogWith((c) => {
        c.tiers.basic.services[0].cpu = 1;
        c.tiers.advanced.route.style = 'path';
      }),
    );

    expect(error.message).toMatch(/tiers\.basic\.services\.0\.cpu: .*; tiers\.advanced\.route\.style: /);
  });

  it('accepts exactly the Fargate sizes of the AWS table, 8 and 16 vCPU included', () => {
    const accepted = (cpu: number, memory: number) =>
      fargateSizeProblem(cpu, memory) === undefined &&
      (() => {
        loadTierCatalog(catalogWith((c) => Object.assign(c.tiers.premium.services[0], { cpu, memory })));
        return true;
      })();

    expect([512, 1024, 2048].every((memory) => accepted(256, memory))).toBe(true);
    expect([1024, 4096].every((memory) => accepted(512, memory))).toBe(true);
    expect([8192, 30720].every((memory) => accepted(4096, memory))).toBe(true);
    expect([16384, 61440].every((memory) => accepted(8192, memory))).toBe(true);
    expect([32768, 122880].every((memory) => accepted(16384, memory))).toBe(true);
    expect(fargateSizeProblem(512, 512)).toBeDefined();
    expect(fargateSizeProblem(4096, 31744)).toBeDefined();
    expect(fargateSizeProblem(16384, 36864)).toBeDefined();
  });

  it('rejects what is not a catalog at all', () => {
    expect(loadError('nope').message).toBe(
      'Invalid tier catalog: (root): Invalid input: expected object, received string',
    );
  });
});

describe('selectTier', () => {
  it('returns the definition with its name', () => {
    const tier = selectTier(tierCatalog, 'premium');

    expect(tier.name).toBe('premium');
    expect(tier.services.map((service) => service.name)).toEqual(['web', 'api']);
  });

  it('lists the known tiers for an unknown one', () => {
    expect(() => selectTier(tierCatalog, 'platinum')).toThrow(UnknownTierError);
    expect(() => selectTier(tierCatalog, 'platinum')).toThrow(
      'Request names tier "platinum"; known tiers: basic, advanced, premium',
    );
  });

  it('lists the known tiers when the request names none', () => {
    expect(() => selectTier(tierCatalog, undefined)).toThrow(
      'Request names no tier; known tiers: basic, advanced, premium',
    );
  });

  it('does not take inherited object keys for tiers', () => {
    expect(() => selectTier(tierCatalog, 'constructor')).toThrow(UnknownTierError);
    expect(() => selectTier(tierCatalog, '__proto__')).toThrow(UnknownTierError);
  });

  it('shows at most 64 characters of a caller-chosen tier', () => {
    expect(() => selectTier(tierCatalog, 'x'.repeat(500))).toThrow(
      `Request names tier "${'x'.repeat(64)}"; known tiers`,
    );
  });
});
