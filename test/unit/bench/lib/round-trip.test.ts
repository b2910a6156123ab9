import { describe, expect, it } from 'vitest';
import { dynamoDbRoundTripMs } from '../../../../bench/lib/round-trip.ts';

describe('dynamoDbRoundTripMs', () => {
  it.each([0, -1, 1.5])('refuses %s samples before making any call', async (samples) => {
    await expect(dynamoDbRoundTripMs(samples)).rejects.toThrow(RangeError);
  });
});
