import { describe, expect, it } from 'vitest';
import { envelope, LocalBus } from '../../../../local/runtime/bus.ts';

const event = (source: string) => envelope({ source, 'detail-type': 'thing', detail: { n: 1 } });

describe('LocalBus', () => {
  it('hands a matching event to every matching rule and returns their synchronous results', () => {
    const bus = new LocalBus([
      { name: 'a', pattern: { source: ['s'] }, target: () => 'from a' },
      { name: 'b', pattern: { source: ['t'] }, target: () => 'from b' },
      { name: 'c', pattern: { 'detail-type': ['thing'] }, target: () => 'from c' },
    ]);

    const publication = bus.publish(event('s'));

    expect(publication.deliveries.map((delivery) => [delivery.rule, delivery.result])).toEqual([
      ['a', 'from a'],
      ['c', 'from c'],
    ]);
    expect(bus.undelivered()).toEqual([]);
  });

  it('lists an event no rule matches', () => {
    const bus = new LocalBus([{ name: 'a', pattern: { source: ['s'] }, target: () => undefined }]);

    expect(bus.publish(event('other')).deliveries).toEqual([]);
    expect(bus.undelivered()).toEqual([
      expect.objectContaining({ source: 'other', detailType: 'thing', reason: 'No rule matched the event' }),
    ]);
  });

  it('retries a failing asynchronous target twice, then lists the event with the last error', async () => {
    let calls = 0;
    const bus = new LocalBus([
      {
        name: 'reporter',
        pattern: { source: ['s'] },
        target: async () => {
          calls += 1;
          throw Object.assign(new Error(`attempt ${calls}`), { name: 'Boom' });
        },
      },
    ]);

    const [delivery] = bus.publish(event('s')).deliveries;
    await delivery?.settled;

    expect(calls).toBe(3);
    expect(bus.undelivered()).toEqual([expect.objectContaining({ rule: 'reporter', reason: 'Boom: attempt 3' })]);
    expect(bus.pending).toBe(0);
  });

  it('an asynchronous target that succeeds on a retry is delivered; idle waits for it', async () => {
    let calls = 0;
    const delivered: unknown[] = [];
    const bus = new LocalBus([
      {
        name: 'flaky',
        pattern: { source: ['s'] },
        target: async (received) => {
          calls += 1;
          if (calls === 1) throw new Error('first attempt fails');
          delivered.push(received.detail);
        },
      },
    ]);

    bus.publish(event('s'));
    await bus.idle();

    expect(delivered).toEqual([{ n: 1 }]);
    expect(bus.undelivered()).toEqual([]);
  });

  it('completes the envelope EventBridge adds, keeping what the producer set', () => {
    const completed = envelope({ source: 's', 'detail-type': 'd', detail: {}, id: 'mine' });

    expect(completed).toMatchObject({
      version: '0',
      id: 'mine',
      account: '111122223333',
      region: 'us-east-1',
      resources: [],
    });
    expect(completed.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});
