// A territory's census progress as the territories screen shows it.
import type { Territory, TerritoryProgress } from './types';

export interface Progress {
  surveyed: number;
  /** The plan when the manager set one and it is not already passed; otherwise the prospects known. */
  total: number;
  fraction: number;
  visitedThisWeek: number;
}

export function progressOf(territory: Territory, all: TerritoryProgress[]): Progress {
  const found = all.find((p) => p.territory === territory.id);
  const surveyed = found?.surveyed ?? 0;
  const known = found?.prospects ?? 0;
  const total = Math.max(territory.planned_prospects ?? 0, known);
  return { surveyed, total, fraction: total === 0 ? 0 : surveyed / total, visitedThisWeek: found?.visited_since ?? 0 };
}
