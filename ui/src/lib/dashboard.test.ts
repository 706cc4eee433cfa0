import { describe, expect, it } from 'vitest';
import { coverageLines, periodStart, visitsTable } from './dashboard';

const DAY = 86_400_000;

describe('the dashboard', () => {
  it('starts a period at midnight UTC of its first day', () => {
    const now = Date.UTC(2026, 10, 28, 15, 30);
    expect(periodStart('all', now)).toBeNull();
    expect(periodStart('7', now)).toBe(Date.UTC(2026, 10, 22));
    expect(periodStart('30', now)).toBe(Date.UTC(2026, 10, 28) - 29 * DAY);
  });

  it('measures coverage against the plan, or against what was found past it', () => {
    const territories = [
      { id: 'a', name: 'Центр', planned_prospects: 200, agents: [], boundary: [] },
      { id: 'b', name: 'Заволжье', planned_prospects: null, agents: [], boundary: [] },
      { id: 'c', name: 'Пусто', planned_prospects: null, agents: [], boundary: [] },
    ];
    const lines = coverageLines(
      [
        { territory: 'a', prospects: 120, surveyed: 50, visited_in_period: 7 },
        { territory: 'b', prospects: 10, surveyed: 10, visited_in_period: 0 },
      ],
      territories,
    );
    expect(lines.map((l) => [l.name, l.surveyed, l.total, l.percent, l.visitedInPeriod])).toEqual([
      ['Центр', 50, 200, 25, 7],
      ['Заволжье', 10, 10, 100, 0],
    ]);
  });

  it('lays visits out by agent and day, with names and totals', () => {
    const people = [
      { id: 'u1', login: 'anna', name: 'Анна', role: 'agent' as const, retired: false },
      { id: 'u2', login: 'boris', name: 'Борис', role: 'agent' as const, retired: false },
    ];
    const table = visitsTable(
      [
        { agent: 'u2', day: '2026-11-27', visits: 2 },
        { agent: 'u1', day: '2026-11-26', visits: 3 },
        { agent: 'u1', day: '2026-11-27', visits: 1 },
      ],
      people,
    );
    expect(table.days).toEqual(['2026-11-26', '2026-11-27']);
    expect(table.rows).toEqual([
      { agent: 'u1', name: 'Анна', counts: [3, 1], total: 4 },
      { agent: 'u2', name: 'Борис', counts: [0, 2], total: 2 },
    ]);
  });
});
