// The dashboard's arithmetic: periods, coverage against the plan, and the visits table.
import { compareNames } from './i18n.svelte';
import type { AgentDay, Coverage, Person, Territory } from './types';

export type Period = 'all' | '7' | '30';

/** The moments a period covers, ending now: `from` (inclusive) and no end. */
export function periodStart(period: Period, now: number): number | null {
  if (period === 'all') return null;
  const day = 86_400_000;
  const today = Math.floor(now / day) * day;
  return today - (Number(period) - 1) * day;
}

export interface CoverageLine {
  id: string;
  name: string;
  surveyed: number;
  /** The plan when it is set and not passed; otherwise the prospects known. */
  total: number;
  percent: number;
  visitedInPeriod: number;
}

export function coverageLines(coverage: Coverage[], territories: Territory[]): CoverageLine[] {
  return territories
    .map((territory) => {
      const found = coverage.find((c) => c.territory === territory.id);
      const surveyed = found?.surveyed ?? 0;
      const total = Math.max(territory.planned_prospects ?? 0, found?.prospects ?? 0);
      return {
        id: territory.id,
        name: territory.name,
        surveyed,
        total,
        percent: total === 0 ? 0 : Math.round((surveyed / total) * 100),
        visitedInPeriod: found?.visited_in_period ?? 0,
      };
    })
    .filter((line) => coverage.some((c) => c.territory === line.id) || line.total > 0);
}

export interface VisitsTable {
  days: string[];
  rows: { agent: string; name: string; counts: number[]; total: number }[];
}

/** Visits per agent per day as a table: a row per agent (by name), a column per day. */
export function visitsTable(entries: AgentDay[], people: Person[]): VisitsTable {
  const days = [...new Set(entries.map((e) => e.day))].sort();
  const agents = [...new Set(entries.map((e) => e.agent))];
  const name = (id: string) => people.find((p) => p.id === id)?.name ?? id.slice(0, 8);
  const rows = agents
    .map((agent) => {
      const counts = days.map((day) => entries.find((e) => e.agent === agent && e.day === day)?.visits ?? 0);
      return { agent, name: name(agent), counts, total: counts.reduce((a, b) => a + b, 0) };
    })
    .sort((a, b) => compareNames(a.name, b.name));
  return { days, rows };
}
