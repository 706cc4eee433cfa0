// The directory (territories, people) as the screens read it: fetched from the replica once and
// shared, since it changes only with a sync, which forgets it (`forgetDirectory`).
import { api } from './api';
import type { Person, Territory } from './types';

let territories: Promise<Territory[]> | null = null;
let people: Promise<Person[]> | null = null;

export function cachedTerritories(): Promise<Territory[]> {
  territories ??= api.territories().catch((e) => {
    territories = null;
    throw e;
  });
  return territories;
}

export function cachedPeople(): Promise<Person[]> {
  people ??= api.people().catch((e) => {
    people = null;
    throw e;
  });
  return people;
}

/** After a sync the directory may have changed: the next read asks the replica again. */
export function forgetDirectory(): void {
  territories = null;
  people = null;
}
