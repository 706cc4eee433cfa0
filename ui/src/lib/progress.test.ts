import { describe, expect, it } from 'vitest';
import { progressOf } from './progress';

const territory = { id: 't1', name: 'Центр', planned_prospects: 200, agents: [], boundary: [] };

describe('territory progress', () => {
  it('measures against the plan while the plan is larger than what is known', () => {
    const p = progressOf(territory, [{ territory: 't1', prospects: 120, surveyed: 50, visited_since: 7 }]);
    expect(p).toEqual({ surveyed: 50, total: 200, fraction: 0.25, visitedThisWeek: 7 });
  });

  it('measures against the prospects found once they outnumber the plan, or with no plan', () => {
    expect(progressOf(territory, [{ territory: 't1', prospects: 400, surveyed: 100, visited_since: 0 }]).fraction).toBe(0.25);
    const unplanned = { ...territory, planned_prospects: null };
    expect(progressOf(unplanned, [{ territory: 't1', prospects: 10, surveyed: 10, visited_since: 2 }]).fraction).toBe(1);
  });

  it('shows an untouched territory as empty', () => {
    expect(progressOf({ ...territory, planned_prospects: null }, [])).toEqual({ surveyed: 0, total: 0, fraction: 0, visitedThisWeek: 0 });
  });
});
