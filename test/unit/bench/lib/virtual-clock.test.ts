import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../bench/lib/virtual-clock.ts';

describe('VirtualClock', () => {
  const original = Date.now;
  afterEach(() => {
    Date.now = original;
  });

  it('is real time plus what was advanced', () => {
    const clock = new VirtualClock(() => 1_000);

    clock.advance(250);
    clock.advance(750);

    expect(clock.now()).toBe(2_000);
    expect(clock.offsetMs).toBe(1_000);
  });

  it('replaces Date.now while installed and restores it after', () => {
    const clock = new VirtualClock(() => 5_000);
    clock.advance(60_000);

    clock.install();
    const during = Date.now();
    clock.uninstall();

    expect(during).toBe(65_000);
    expect(Date.now).toBe(original);
  });

  it('only moves forward', () => {
    expect(() => new VirtualClock().advance(-1)).toThrow(RangeError);
  });
});
