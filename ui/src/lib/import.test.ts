import { describe, expect, it } from 'vitest';
import { IMPORT_FIELDS, importCounts, importFieldName } from './import';

describe('import fields', () => {
  it('names every field in both languages', () => {
    expect(IMPORT_FIELDS).toHaveLength(19);
    expect(importFieldName('phone', 'ru')).toBe('Телефон');
    expect(importFieldName('address', 'en')).toBe('Address on one line');
    for (const field of IMPORT_FIELDS) expect(importFieldName(field, 'ru')).not.toBe(field);
  });

  it('passes the counts to the messages', () => {
    const counts = importCounts({ new: 2, updated: 1, unchanged: 5, likely_duplicates: 1, invalid: 3, rows: [] });
    expect(counts).toEqual({ new: 2, updated: 1, unchanged: 5, duplicates: 1, invalid: 3 });
  });
});
