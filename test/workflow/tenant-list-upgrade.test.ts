/**
 * The local analogue of upgrading a deployed stack to the release with the tenant list: a state
 * folder saved by an earlier release holds tenant records without the list's keys. Opening it lists
 * them (as `index-tenants --aws` does in AWS) and marks the list complete, so the rollout sees them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRegistryTableName } from '../../functions/shared/config/environment.ts';
import { isTenantListReady } from '../../functions/shared/registry/tenant-list.ts';
import { readTenantPage } from '../../functions/shared/registry/tenant-pages.ts';
import type { EmbeddedRuntime } from '../../local/runtime/api.ts';
import { openLocalRuntime } from '../../local/runtime/runtime.ts';
import { StateFile, writeState } from '../../local/runtime/state-folder.ts';
import { fastTimings } from './runtime.fixture.ts';

let directory: string | undefined;
let runtime: EmbeddedRuntime | undefined;

afterEach(async () => {
  await runtime?.close();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

describe('a state folder of an earlier release', () => {
  it('has its tenant records put on the tenant list when the runtime opens it', async () => {
    directory = mkdtempSync(join(tmpdir(), 'earlier-release-'));
    // Saved as the runtime saves tables: DynamoDB's attribute values.
    const earlier = (tenantId: string, createdAt: string) => ({
      pk: { S: `TENANT#${tenantId}` },
      sk: { S: 'TENANT' },
      tenantId: { S: tenantId },
      status: { S: 'ACTIVE' },
      completed: { M: {} },
      plan: {
        M: {
          tier: { S: 'advanced' },
          isolationModel: { S: 'silo-services' },
          templateVersion: { S: '1.0.0' },
          stacks: { L: [] },
        },
      },
      version: { N: '4' },
      createdAt: { S: createdAt },
      updatedAt: { S: createdAt },
    });
    writeState(directory, StateFile.tables, {
      [readRegistryTableName()]: [
        earlier('late', '2026-12-02T00:00:00.000Z'),
        earlier('early', '2026-12-01T00:00:00.000Z'),
      ],
    });

    runtime = await openLocalRuntime({ timings: fastTimings, stateDirectory: directory });

    await expect(isTenantListReady(readRegistryTableName())).resolves.toBe(true);
    const page = await readTenantPage(readRegistryTableName(), undefined);
    expect(page.records.map((record) => record.tenantId)).toEqual(['early', 'late']);
    expect((await runtime.tenants()).map((tenant) => tenant.version)).toEqual([4, 4]);
  });
});
