import { describe, expect, it } from 'vitest';
import {
  bucketCountInZone,
  checkBucketCount,
  maxBucketCount,
  planSegments,
  zoneAlignment,
  zoneOffsetMinutes,
  type Segment,
} from '../src/sales/plan.js';

const range = (from: string, to: string) => ({ from: new Date(from), to: new Date(to) });
const show = (segments: Segment[]) =>
  segments.map((s) => `${s.source} ${s.from.toISOString()} ${s.to.toISOString()}`);
const UTC = { wholeHours: true, utc: true };
const WHOLE_HOURS = { wholeHours: true, utc: false };

describe('sales range planning', () => {
  it('serves whole UTC days from the daily rollup, whole hours from the hourly one, edges raw', () => {
    expect(
      show(planSegments(range('2026-03-02T05:17:31Z', '2026-03-05T13:45:02Z'), 'DAY', UTC)),
    ).toEqual([
      'raw 2026-03-02T05:17:31.000Z 2026-03-02T06:00:00.000Z',
      'hourly 2026-03-02T06:00:00.000Z 2026-03-03T00:00:00.000Z',
      'daily 2026-03-03T00:00:00.000Z 2026-03-05T00:00:00.000Z',
      'hourly 2026-03-05T00:00:00.000Z 2026-03-05T13:00:00.000Z',
      'raw 2026-03-05T13:00:00.000Z 2026-03-05T13:45:02.000Z',
    ]);
  });

  it('uses only the daily rollup for an aligned range and only raw rows inside one hour', () => {
    expect(
      show(planSegments(range('2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'), 'MONTH', UTC)),
    ).toEqual(['daily 2026-03-01T00:00:00.000Z 2026-04-01T00:00:00.000Z']);
    expect(
      show(planSegments(range('2026-03-01T10:05:00Z', '2026-03-01T10:55:00Z'), 'HOUR', UTC)),
    ).toEqual(['raw 2026-03-01T10:05:00.000Z 2026-03-01T10:55:00.000Z']);
  });

  it('never uses the daily rollup for HOUR buckets nor for zones off UTC', () => {
    const r = range('2026-03-01T00:00:00Z', '2026-03-04T00:00:00Z');
    expect(show(planSegments(r, 'HOUR', UTC))).toEqual([
      'hourly 2026-03-01T00:00:00.000Z 2026-03-04T00:00:00.000Z',
    ]);
    expect(show(planSegments(r, 'DAY', WHOLE_HOURS))).toEqual([
      'hourly 2026-03-01T00:00:00.000Z 2026-03-04T00:00:00.000Z',
    ]);
  });

  it('reads raw rows only for sub-hour zones and when raw is forced', () => {
    const r = range('2026-03-01T00:00:00Z', '2026-03-04T00:00:00Z');
    expect(show(planSegments(r, 'DAY', zoneAlignment('Asia/Kolkata', r)))).toEqual([
      'raw 2026-03-01T00:00:00.000Z 2026-03-04T00:00:00.000Z',
    ]);
    expect(show(planSegments(r, 'DAY', zoneAlignment('Asia/Kathmandu', r)))).toEqual([
      'raw 2026-03-01T00:00:00.000Z 2026-03-04T00:00:00.000Z',
    ]);
    expect(show(planSegments(r, 'DAY', UTC, { forceRaw: true }))).toEqual([
      'raw 2026-03-01T00:00:00.000Z 2026-03-04T00:00:00.000Z',
    ]);
  });

  it('covers the range exactly once, contiguously, for many unaligned ranges', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < 500; i += 1) {
      const from = start + ((i * 7_919_117) % (40 * 86_400_000));
      const to = from + 1 + ((i * 104_729_003) % (20 * 86_400_000));
      for (const alignment of [UTC, WHOLE_HOURS, { wholeHours: false, utc: false }]) {
        const segments = planSegments({ from: new Date(from), to: new Date(to) }, 'DAY', alignment);
        expect(segments[0]?.from.getTime()).toBe(from);
        expect(segments.at(-1)?.to.getTime()).toBe(to);
        segments.forEach((s, k) => {
          expect(s.from.getTime()).toBeLessThan(s.to.getTime());
          if (k > 0) expect(s.from.getTime()).toBe(segments[k - 1]?.to.getTime());
          if (s.source === 'daily')
            expect([s.from.getTime() % 86_400_000, s.to.getTime() % 86_400_000]).toEqual([0, 0]);
          if (s.source === 'hourly')
            expect([s.from.getTime() % 3_600_000, s.to.getTime() % 3_600_000]).toEqual([0, 0]);
        });
      }
    }
  });

  it('knows which zones line up with the UTC rollups over a range', () => {
    const winter = range('2026-01-05T00:00:00Z', '2026-01-20T00:00:00Z');
    const year = range('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
    expect(zoneAlignment('UTC', year)).toEqual({ wholeHours: true, utc: true });
    expect(zoneAlignment('Europe/London', winter)).toEqual({ wholeHours: true, utc: true });
    expect(zoneAlignment('Europe/London', year)).toEqual({ wholeHours: true, utc: false });
    expect(zoneAlignment('Europe/Berlin', year)).toEqual({ wholeHours: true, utc: false });
    expect(zoneAlignment('America/New_York', year)).toEqual({ wholeHours: true, utc: false });
    expect(zoneAlignment('Asia/Kolkata', year)).toEqual({ wholeHours: false, utc: false });
    expect(zoneOffsetMinutes('Asia/Kathmandu', Date.parse('2026-06-01T00:00:00Z'))).toBe(345);
    expect(zoneOffsetMinutes('Europe/Berlin', Date.parse('2026-03-29T00:59:59Z'))).toBe(60);
    expect(zoneOffsetMinutes('Europe/Berlin', Date.parse('2026-03-29T01:00:00Z'))).toBe(120);
  });

  it('bounds the bucket count and rejects ranges too long for the granularity', () => {
    expect(maxBucketCount(range('2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z'), 'HOUR')).toBe(26);
    expect(() =>
      checkBucketCount(range('2026-01-01T00:00:00Z', '2027-03-01T00:00:00Z'), 'HOUR'),
    ).toThrow(/too long for granularity HOUR/);
    expect(
      checkBucketCount(range('2000-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), 'DAY'),
    ).toBeLessThanOrEqual(10_000);
  });

  it('counts the calendar buckets of a range in its zone exactly', () => {
    const winter = range('2010-12-01T00:00:00Z', '2011-03-01T00:00:00Z');
    expect(bucketCountInZone(winter, 'MONTH', 'UTC')).toBe(3);
    // New York's local December starts at 05:00Z: the first hours belong to November there.
    expect(bucketCountInZone(winter, 'MONTH', 'America/New_York')).toBe(4);
    expect(bucketCountInZone(winter, 'MONTH', 'Asia/Tokyo')).toBe(4);
    // Monday 2026-03-02 to Monday 2026-04-06 in Berlin, across the spring change: 5 weeks.
    const spring = range('2026-03-01T23:00:00Z', '2026-04-05T22:00:00Z');
    expect(bucketCountInZone(spring, 'WEEK', 'Europe/Berlin')).toBe(5);
    expect(bucketCountInZone(spring, 'WEEK', 'UTC')).toBe(6);
    expect(bucketCountInZone(spring, 'DAY', 'Europe/Berlin')).toBe(35);
    expect(bucketCountInZone(spring, 'DAY', 'UTC')).toBe(36);
    expect(
      bucketCountInZone(range('2026-03-29T00:00:00Z', '2026-03-29T00:00:01Z'), 'DAY', 'UTC'),
    ).toBe(1);
    // Hours stay an upper bound.
    expect(bucketCountInZone(winter, 'HOUR', 'UTC')).toBe(maxBucketCount(winter, 'HOUR'));
  });
});
