import { describe, expect, it } from 'vitest';
import { ClockHealth, type ClockReport, type ClockStatus } from './clock-health.js';

const DRIFT = 600_000;

function setup(hlcAheadMs = 0) {
  const changes: { status: ClockStatus; previous: ClockStatus }[] = [];
  let hlc = hlcAheadMs;
  const health = new ClockHealth({ maxDriftMs: DRIFT, hlcAheadMs: () => hlc, onChange: (report: ClockReport, previous) => changes.push({ status: report.status, previous }) });
  return { health, changes, setHlc: (ms: number) => (hlc = ms) };
}

describe('ClockHealth', () => {
  it('is unknown without samples and ok within half the drift', () => {
    const { health, changes } = setup();
    expect(health.report(0)).toMatchObject({ status: 'unknown', offset_ms: null, peers_compared: 0 });
    health.record({ peer: 'b', offsetMs: 20_000 }, 0);
    expect(health.report(0)).toMatchObject({ status: 'ok', offset_ms: 20_000, peers_compared: 1, message: null });
    expect(changes).toEqual([{ status: 'ok', previous: 'unknown' }]);
  });

  it('judges this node against the median of its peers, and reports each change once', () => {
    const { health, changes } = setup();
    // One peer far behind (its clock is wrong), two agreeing with us: we are fine.
    health.record({ peer: 'b', offsetMs: 700_000 }, 0);
    health.record({ peer: 'c', offsetMs: 1_000 }, 0);
    health.record({ peer: 'd', offsetMs: -2_000 }, 0);
    expect(health.report(0).status).toBe('ok');
    // Every peer sees us 700 s ahead: we are the wrong one.
    health.record({ peer: 'c', offsetMs: 700_000 }, 1);
    health.record({ peer: 'd', offsetMs: 699_000 }, 1);
    const report = health.report(1);
    expect(report).toMatchObject({ status: 'ahead', offset_ms: 700_000 });
    expect(report.message).toMatch(/700 s ahead of its peers.*NTP/);
    health.record({ peer: 'b', offsetMs: -700_000 }, 2);
    health.record({ peer: 'c', offsetMs: -700_000 }, 2);
    health.record({ peer: 'd', offsetMs: -700_000 }, 2);
    expect(health.report(2).status).toBe('behind');
    // With b alone, the node could not tell who was wrong: it said so until c and d answered.
    expect(changes.map((change) => change.status)).toEqual(['ahead', 'ok', 'ahead', 'behind']);
  });

  it('forgets old samples', () => {
    const { health } = setup();
    health.record({ peer: 'b', offsetMs: 700_000 }, 0);
    expect(health.offsetWith('b', 1000)).toBe(700_000);
    expect(health.report(16 * 60_000)).toMatchObject({ status: 'unknown', peers_compared: 0 });
    expect(health.offsetWith('b', 16 * 60_000)).toBeUndefined();
  });

  it('reports an HLC left ahead of a corrected clock, and counts far-future changes accepted', () => {
    const { health, setHlc } = setup(900_000);
    health.record({ peer: 'b', offsetMs: 100 }, 0);
    expect(health.report(0)).toMatchObject({ status: 'hlc-ahead', hlc_ahead_ms: 900_000 });
    health.recordFutureChanges(3, 0);
    setHlc(0);
    expect(health.report(0)).toMatchObject({ status: 'ok', hlc_ahead_ms: 0, future_changes_accepted: 3 });
  });
});
