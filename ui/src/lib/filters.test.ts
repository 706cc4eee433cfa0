import { describe, expect, it } from 'vitest';
import { keepsRow, listFilter, narrows, type ListChoices } from './filters';
import type { ProspectRow } from './types';

const ANY: ListChoices = {
  territory: '',
  status: '',
  category: '',
  review: '',
  conflictsOnly: false,
  awaitingReview: false,
  sort: 'name',
};

const ROW: ProspectRow = {
  id: '00000000-0000-0000-0000-000000000001',
  territory: 'north',
  name: 'Ромашка',
  category: 'Аптека',
  status: 'visited',
  review_state: 'approved',
  has_conflicts: false,
  merged_into: null,
  deleted: false,
  address: 'ул. Ленина, 1',
  phones: '',
  lat: null,
  lon: null,
  visits: 1,
  last_visit_at: null,
  created_at: 0,
  updated_at: 0,
  awaiting_review: false,
};

describe('the list query the filters make', () => {
  it('asks for everything visible when nothing is chosen, a page at a time', () => {
    expect(listFilter(ANY, 3, 100)).toEqual({
      territory: null,
      status: null,
      category: null,
      review_state: null,
      awaiting_review: null,
      has_conflicts: null,
      updated_since: null,
      include_hidden: false,
      sort: 'name',
      limit: 100,
      offset: 300,
    });
  });

  it('passes each choice on, and unticked boxes as "any" rather than "none"', () => {
    const chosen: ListChoices = {
      territory: 'north',
      status: 'refused',
      category: 'Аптека',
      review: 'flagged',
      conflictsOnly: true,
      awaitingReview: true,
      sort: 'recently_updated',
    };
    expect(listFilter(chosen, 0, 50)).toMatchObject({
      territory: 'north',
      status: 'refused',
      category: 'Аптека',
      review_state: 'flagged',
      has_conflicts: true,
      awaiting_review: true,
      sort: 'recently_updated',
      offset: 0,
    });
    expect(listFilter({ ...ANY, conflictsOnly: false }, 0, 50).has_conflicts).toBeNull();
  });
});

describe('search results under the filters', () => {
  it('keeps every visible row when nothing is chosen', () => {
    expect(keepsRow(ANY, ROW)).toBe(true);
  });

  it('drops rows another status, category, territory or review state', () => {
    expect(keepsRow({ ...ANY, status: 'visited' }, ROW)).toBe(true);
    expect(keepsRow({ ...ANY, status: 'new' }, ROW)).toBe(false);
    expect(keepsRow({ ...ANY, category: 'Продукты' }, ROW)).toBe(false);
    expect(keepsRow({ ...ANY, territory: 'south' }, ROW)).toBe(false);
    expect(keepsRow({ ...ANY, review: 'approved' }, ROW)).toBe(true);
    expect(keepsRow({ ...ANY, review: 'pending' }, ROW)).toBe(false);
  });

  it('keeps only conflicts, or only rows awaiting review, when asked', () => {
    expect(keepsRow({ ...ANY, conflictsOnly: true }, ROW)).toBe(false);
    expect(keepsRow({ ...ANY, conflictsOnly: true }, { ...ROW, has_conflicts: true })).toBe(true);
    expect(keepsRow({ ...ANY, awaitingReview: true }, ROW)).toBe(false);
    expect(keepsRow({ ...ANY, awaitingReview: true }, { ...ROW, awaiting_review: true })).toBe(true);
  });

  it('never shows a deleted prospect or one merged into another', () => {
    expect(keepsRow(ANY, { ...ROW, deleted: true })).toBe(false);
    expect(keepsRow(ANY, { ...ROW, merged_into: '00000000-0000-0000-0000-000000000002' })).toBe(false);
  });
});

describe('the empty list', () => {
  it('says "nothing found" rather than "no prospects" once a filter narrows it', () => {
    expect(narrows(ANY)).toBe(false);
    expect(narrows({ ...ANY, sort: 'status' })).toBe(false);
    expect(narrows({ ...ANY, status: 'new' })).toBe(true);
    expect(narrows({ ...ANY, conflictsOnly: true })).toBe(true);
  });
});
