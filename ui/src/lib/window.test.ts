import { describe, expect, it } from 'vitest';
import { pagesFor, rowWindow } from './window';

describe('the rendered slice of a long list', () => {
  it('covers the rows in view and a margin, within the list', () => {
    expect(rowWindow(0, 400, 40, 100_000)).toEqual({ first: 0, end: 18 });
    expect(rowWindow(40_000, 400, 40, 100_000)).toEqual({ first: 992, end: 1018 });
    expect(rowWindow(3_999_800, 400, 40, 100_000)).toEqual({ first: 99_987, end: 100_000 });
    expect(rowWindow(0, 400, 40, 0)).toEqual({ first: 0, end: 0 });
  });

  it('names the pages to fetch for it', () => {
    expect(pagesFor({ first: 0, end: 18 }, 100)).toEqual([0]);
    expect(pagesFor({ first: 992, end: 1018 }, 100)).toEqual([9, 10]);
    expect(pagesFor({ first: 0, end: 0 }, 100)).toEqual([]);
  });
});
