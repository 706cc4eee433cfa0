import { describe, expect, it } from 'vitest';
import { IMPORT_FIELDS, answerChoice, changeName, columnChoices, importCounts, importFieldName, mappingOf } from './import';
import type { Questionnaire } from './types';

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

describe('the column mapping in the form', () => {
  it('turns a mapping into the selects’ choices and back, answers with their questions', () => {
    const mapping = { columns: ['name', null, 'answer'] as const, questions: [null, null, 'staff'] };
    const choices = columnChoices({ columns: [...mapping.columns], questions: mapping.questions });
    expect(choices).toEqual(['name', '', answerChoice('staff')]);
    expect(mappingOf(choices)).toEqual({ columns: ['name', null, 'answer'], questions: [null, null, 'staff'] });
  });

  it('names a changed answer by its question', () => {
    const survey = {
      id: 'q',
      version: 1,
      title: { ru: 'Перепись', en: 'Census' },
      questions: [{ id: 'staff', label: { ru: 'Штат', en: 'Staff' } }],
    } as unknown as Questionnaire;
    expect(changeName({ field: 'answer', question: 'staff', from: '', to: '12' }, survey, 'ru')).toBe('Штат');
    expect(changeName({ field: 'phone', question: null, from: '', to: '+7' }, survey, 'en')).toBe('Phone');
    expect(changeName({ field: 'answer', question: 'gone', from: '', to: '1' }, null, 'en')).toBe('gone');
  });
});
