import { describe, expect, it } from 'vitest';
import { startCpuLoad } from '../../../../bench/lib/cpu-load.ts';

describe('startCpuLoad', () => {
  it('runs the given number of burners until stopped, and stop waits for each to exit', async () => {
    const load = startCpuLoad(1);
    try {
      expect(load.processes).toBe(1);
    } finally {
      await load.stop();
    }
    // Stopping again is harmless: every burner has already exited.
    await expect(load.stop()).resolves.toBeUndefined();
  });

  it('refuses a number of processes that is not a positive whole number', () => {
    expect(() => startCpuLoad(0)).toThrow(/positive whole number/);
    expect(() => startCpuLoad(1.5)).toThrow(/positive whole number/);
  });
});
