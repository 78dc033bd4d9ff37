import { BrokerMemoryWatch, parseStatus } from './broker-memory';

/** Trimmed from `rabbitmqctl status --formatter json` (RabbitMQ 3.x, rss strategy). */
const STATUS = {
  alarms: [],
  memory: { binary: 184449248, total: { erlang: 681218736, rss: 714612736, allocated: 675930112 } },
  vm_memory_calculation_strategy: 'rss',
  vm_memory_high_watermark_limit: 10110600806,
};

describe('broker memory watch', () => {
  it('reads memory by the node strategy against its watermark', () => {
    expect(parseStatus(JSON.stringify(STATUS))).toEqual({
      usedBytes: 714612736,
      limitBytes: 10110600806,
      alarms: [],
    });
    expect(() => parseStatus('{}')).toThrow('no memory');
  });

  it('keeps the peak and flags a memory alarm seen in any sample', async () => {
    const readings = [
      { usedBytes: 100e6, limitBytes: 1000e6, alarms: [] },
      { usedBytes: 900e6, limitBytes: 1000e6, alarms: ['{"resource":"memory","node":"rabbit@h"}'] },
      { usedBytes: 200e6, limitBytes: 1000e6, alarms: [] },
    ];
    const watch = new BrokerMemoryWatch(async () => readings.shift() ?? readings[0]!, 1);
    watch.start();
    await new Promise((r) => setTimeout(r, 50));
    await watch.stop();
    expect(watch.peakFraction).toBeCloseTo(0.9);
    expect(watch.memoryAlarm).toBe(true);
  });

  it('keeps a failed reading as its error, not as an alarm', async () => {
    const watch = new BrokerMemoryWatch(() => Promise.reject(new Error('rabbitmqctl: not found')), 1);
    watch.start();
    await watch.stop();
    expect(watch.error).toBe('rabbitmqctl: not found');
    expect(watch.memoryAlarm).toBe(false);
  });
});
