/**
 * One side of the differential run, in a process of its own (the handlers' SDK clients are
 * process-wide singletons): `tsx scenario-host.ts --target local|moto [--endpoint URL] --out FILE
 * [--only name,...]`. Opens the target's world, plays every scenario in order and writes
 * `{ target, aliases, results: { <scenario>: result | { hostError } } }` to FILE.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { World } from './world.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    endpoint: { type: 'string' },
    out: { type: 'string' },
    only: { type: 'string' },
  },
});
if (values.target !== 'local' && values.target !== 'moto') throw new Error('--target local|moto is required');
if (values.out === undefined) throw new Error('--out FILE is required');

/** A scenario that hangs must not hang the run. */
const scenarioDeadlineMs = 90_000;

async function open(): Promise<World> {
  if (values.target === 'moto') {
    if (values.endpoint === undefined) throw new Error('--endpoint is required for moto');
    const { openMotoWorld } = await import('./moto-world.ts');
    return openMotoWorld(values.endpoint);
  }
  const { openLocalWorld } = await import('./local-world.ts');
  return openLocalWorld();
}

const world = await open();
// Imported after the world set the environment the handlers' modules read.
const { scenarios } = await import('./scenarios/index.ts');
const only = values.only?.split(',').filter((name) => name !== '');
const results: Record<string, unknown> = {};
try {
  for (const scenario of scenarios) {
    if (only !== undefined && !only.includes(scenario.name)) continue;
    let timer: NodeJS.Timeout | undefined;
    try {
      results[scenario.name] = await Promise.race([
        scenario.run(world),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no result within ${scenarioDeadlineMs} ms`)), scenarioDeadlineMs);
        }),
      ]);
    } catch (error) {
      const failure = error as { name?: string; message?: string };
      results[scenario.name] = { hostError: `${failure.name ?? 'Error'}: ${failure.message ?? String(error)}` };
    } finally {
      clearTimeout(timer);
    }
  }
} finally {
  writeFileSync(values.out, JSON.stringify({ target: world.target, aliases: world.aliases, results }, null, 2));
  await world.close();
}
process.exit(0);
