import { describe, expect, it } from 'vitest';
import {
  collectAnswers,
  emptyEntry,
  entryOf,
  holds,
  localized,
  problemMessages,
  readEntry,
  visibleQuestions,
} from './questionnaire';
import type { Answer, Problem, Question, Questionnaire } from './types';

function question(id: string, type: Question['type'], extra: Partial<Question> = {}): Question {
  return {
    id,
    label: { ru: `Вопрос ${id}`, en: `Question ${id}` },
    type,
    hint: null,
    required: false,
    min: null,
    max: null,
    min_date: null,
    max_date: null,
    pattern: null,
    choices: [],
    relevant: null,
    ...extra,
  };
}

const yesNo = [
  { value: 'yes', label: { ru: 'Да', en: 'Yes' } },
  { value: 'no', label: { ru: 'Нет', en: 'No' } },
];

const form: Questionnaire = {
  id: 'q',
  version: 1,
  title: { ru: 'Перепись', en: 'Census' },
  questions: [
    question('staff', 'integer', { required: true }),
    question('owner_present', 'select_one', { choices: yesNo }),
    question('owner_phone', 'phone', {
      relevant: { answer: { question: 'owner_present', matches: { equals: 'yes' } } },
    }),
    question('owner_email', 'email', {
      relevant: { answer: { question: 'owner_phone', matches: 'answered' } },
    }),
    question('big', 'text', { relevant: { answer: { question: 'staff', matches: { at_least: 10 } } } }),
    question('area', 'decimal'),
    question('entrance', 'geopoint'),
    question('brands', 'select_many'),
    question('shopfront', 'photo'),
  ],
};

const ids = (questions: Question[]) => questions.map((q) => q.id);

describe('which questions show', () => {
  it('hides questions whose condition does not hold', () => {
    expect(ids(visibleQuestions(form, {}))).toEqual(['staff', 'owner_present', 'area', 'entrance', 'brands', 'shopfront']);
    const answers: Record<string, Answer> = {
      owner_present: { type: 'select_one', value: 'yes' },
      staff: { type: 'integer', value: 12 },
    };
    expect(ids(visibleQuestions(form, answers))).toContain('owner_phone');
    expect(ids(visibleQuestions(form, answers))).toContain('big');
  });

  it('does not let a hidden answer show a later question', () => {
    const answers: Record<string, Answer> = {
      owner_present: { type: 'select_one', value: 'no' },
      owner_phone: { type: 'phone', value: '+7 900 000 00 00' },
    };
    expect(ids(visibleQuestions(form, answers))).not.toContain('owner_phone');
    expect(ids(visibleQuestions(form, answers))).not.toContain('owner_email');
  });

  it('combines conditions with all and any, and compares numbers and options', () => {
    const answers: Record<string, Answer> = {
      staff: { type: 'integer', value: 5 },
      brands: { type: 'select_many', value: ['alpha', 'gamma'] },
    };
    expect(holds({ answer: { question: 'staff', matches: { at_most: 5 } } }, answers)).toBe(true);
    expect(holds({ answer: { question: 'brands', matches: { equals: 'gamma' } } }, answers)).toBe(true);
    expect(holds({ answer: { question: 'brands', matches: { one_of: ['beta'] } } }, answers)).toBe(false);
    expect(holds({ answer: { question: 'area', matches: 'not_answered' } }, answers)).toBe(true);
    expect(
      holds(
        {
          all: [
            { answer: { question: 'staff', matches: 'answered' } },
            { any: [{ answer: { question: 'area', matches: 'answered' } }, { answer: { question: 'staff', matches: { at_least: 5 } } }] },
          ],
        },
        answers,
      ),
    ).toBe(true);
  });
});

describe('reading what was typed', () => {
  it('reads numbers with a comma or spaces, and refuses words', () => {
    expect(readEntry(form.questions[0], { kind: 'text', text: ' 1 200 ' })).toEqual({ type: 'integer', value: 1200 });
    expect(readEntry(form.questions[5], { kind: 'text', text: '12,5' })).toEqual({ type: 'decimal', value: 12.5 });
    expect(readEntry(form.questions[0], { kind: 'text', text: '2.5' })).toEqual({
      problem: { ru: 'Введите целое число', en: 'Enter a whole number' },
    });
    expect(readEntry(form.questions[5], { kind: 'text', text: 'много' })).toHaveProperty('problem');
  });

  it('treats an empty field as no answer', () => {
    for (const q of form.questions) expect(readEntry(q, emptyEntry(q))).toBeUndefined();
  });

  it('reads a position and refuses one off the globe', () => {
    const entrance = form.questions[6];
    expect(readEntry(entrance, { kind: 'point', lat: '56,86', lon: '35.9', accuracy_m: 8 })).toEqual({
      type: 'geopoint',
      value: { lat: 56.86, lon: 35.9, accuracy_m: 8 },
    });
    expect(readEntry(entrance, { kind: 'point', lat: '91', lon: '0', accuracy_m: null })).toHaveProperty('problem');
    expect(readEntry(entrance, { kind: 'point', lat: '56', lon: '', accuracy_m: null })).toHaveProperty('problem');
  });

  it('round-trips every kind of answer through a form entry', () => {
    const answers: [number, Answer][] = [
      [0, { type: 'integer', value: 7 }],
      [5, { type: 'decimal', value: 3.25 }],
      [2, { type: 'phone', value: '+7 900' }],
      [6, { type: 'geopoint', value: { lat: 1, lon: 2, accuracy_m: null } }],
      [7, { type: 'select_many', value: ['a', 'b'] }],
      [8, { type: 'photo', value: { sha256: 'ab'.repeat(32), mime: 'image/png' } }],
    ];
    for (const [index, answer] of answers) expect(readEntry(form.questions[index], entryOf(answer))).toEqual(answer);
  });

  it('collects answers of shown questions only, with the problems of shown questions only', () => {
    const { answers, problems } = collectAnswers(form, {
      staff: { kind: 'text', text: 'three' },
      owner_present: { kind: 'text', text: 'no' },
      owner_phone: { kind: 'text', text: '+7 900 000 00 00' },
      area: { kind: 'text', text: '40' },
    });
    expect(answers).toEqual({ owner_present: { type: 'select_one', value: 'no' }, area: { type: 'decimal', value: 40 } });
    expect(Object.keys(problems)).toEqual(['staff']);
  });
});

describe('problems next to their questions', () => {
  it('shows the first problem of each question in the language chosen', () => {
    const problems: Problem[] = [
      { question: 'staff', kind: 'required', message: { ru: 'Обязательный вопрос', en: 'This question is required' } },
      { question: 'staff', kind: 'too_small', message: { ru: 'Слишком мало', en: 'Too small' } },
      { question: 'area', kind: 'too_large', message: { ru: '', en: 'Too large' } },
    ];
    expect(problemMessages(problems, 'ru')).toEqual({ staff: 'Обязательный вопрос', area: 'Too large' });
    expect(problemMessages(problems, 'en')).toEqual({ staff: 'This question is required', area: 'Too large' });
  });

  it('falls back to the other language when a text is missing', () => {
    expect(localized({ ru: '', en: 'Only English' }, 'ru')).toBe('Only English');
    expect(localized(null, 'en')).toBe('');
  });
});
