import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextOutageTry } from './outage-wait';

const DAY_MS = 86_400_000;
const settings = { outageWaitSeconds: 86_400, backoffMs: 2_000 };

describe('nextOutageTry: when a document waiting out an outage is tried again', () => {
  it('first after INGESTION_BACKOFF_MS, then after as long again as it has waited, at most a minute apart', () => {
    const since = 1_000_000;
    const delays = [0, 2_000, 10_000, 50_000, 3_600_000].map((waited) => {
      const next = nextOutageTry(waited === 0 ? undefined : since, since + waited, settings)!;
      assert.equal(next.since, since);
      assert.equal(next.until, since + DAY_MS);
      return next.at - (since + waited);
    });
    assert.deepEqual(delays, [2_000, 2_000, 10_000, 50_000, 60_000]);
  });

  it('its last try at the end of the wait; none from then on, nor when waiting is off', () => {
    const since = 1_000_000;
    assert.equal(nextOutageTry(since, since + DAY_MS - 60_000, settings)!.at, since + DAY_MS);
    assert.equal(nextOutageTry(since, since + DAY_MS, settings), null);
    assert.equal(nextOutageTry(undefined, since, { ...settings, outageWaitSeconds: 0 }), null);
  });
});
