// The census form's logic, apart from its looks: which questions show (relevant-if, as
// census-core's `Condition::holds`), turning what was typed into answers, and putting each
// problem next to its question. The replica checks the answers again before recording a visit;
// checking here too lets the agent see a mistake as soon as the field is left.
import type { Language } from './i18n.svelte';
import type { Answer, Condition, Localized, Match, Problem, Question, Questionnaire } from './types';

/** What one question's input holds before it becomes an answer. */
export type Entry =
  | { kind: 'text'; text: string }
  | { kind: 'many'; picked: string[] }
  | { kind: 'point'; lat: string; lon: string; accuracy_m: number | null }
  | { kind: 'photo'; photo: { sha256: string; mime: string } | null };

export type Entries = Record<string, Entry>;

export function localized(text: Localized | null | undefined, language: Language): string {
  if (!text) return '';
  const [first, second] = language === 'ru' ? [text.ru, text.en] : [text.en, text.ru];
  return first === '' ? second : first;
}

function texts(answer: Answer): string[] {
  switch (answer.type) {
    case 'select_many':
      return answer.value;
    case 'integer':
    case 'decimal':
      return [String(answer.value)];
    case 'geopoint':
      return [`${answer.value.lat},${answer.value.lon}`];
    case 'photo':
      return [answer.value.sha256];
    default:
      return [answer.value];
  }
}

function matches(match: Match, answer: Answer | undefined): boolean {
  if (match === 'not_answered') return answer === undefined;
  if (answer === undefined) return false;
  if (match === 'answered') return true;
  const number = answer.type === 'integer' || answer.type === 'decimal' ? answer.value : null;
  if ('equals' in match) return texts(answer).includes(match.equals);
  if ('one_of' in match) return texts(answer).some((t) => match.one_of.includes(t));
  if ('at_least' in match) return number !== null && number >= match.at_least;
  return number !== null && number <= match.at_most;
}

/** Whether a condition holds of the answers given so far. */
export function holds(condition: Condition, answers: Record<string, Answer>): boolean {
  if ('all' in condition) return condition.all.every((c) => holds(c, answers));
  if ('any' in condition) return condition.any.some((c) => holds(c, answers));
  return matches(condition.answer.matches, answers[condition.answer.question]);
}

/** The questions shown for these answers, in order. A hidden question's answer does not count
 * towards later conditions, as in census-core. */
export function visibleQuestions(questionnaire: Questionnaire, answers: Record<string, Answer>): Question[] {
  const shown: Question[] = [];
  const counted: Record<string, Answer> = {};
  for (const question of questionnaire.questions) {
    if (question.relevant && !holds(question.relevant, counted)) continue;
    shown.push(question);
    if (answers[question.id] !== undefined) counted[question.id] = answers[question.id];
  }
  return shown;
}

/** An empty entry for a question. */
export function emptyEntry(question: Question): Entry {
  switch (question.type) {
    case 'select_many':
      return { kind: 'many', picked: [] };
    case 'geopoint':
      return { kind: 'point', lat: '', lon: '', accuracy_m: null };
    case 'photo':
      return { kind: 'photo', photo: null };
    default:
      return { kind: 'text', text: '' };
  }
}

/** The entry showing a saved answer (when a draft is reopened). */
export function entryOf(answer: Answer): Entry {
  switch (answer.type) {
    case 'select_many':
      return { kind: 'many', picked: [...answer.value] };
    case 'geopoint':
      return { kind: 'point', lat: String(answer.value.lat), lon: String(answer.value.lon), accuracy_m: answer.value.accuracy_m };
    case 'photo':
      return { kind: 'photo', photo: answer.value };
    default:
      return { kind: 'text', text: String(answer.value) };
  }
}

/** A problem found while reading an entry, before the replica sees it. */
export const ENTRY_PROBLEMS = {
  not_integer: { ru: 'Введите целое число', en: 'Enter a whole number' },
  not_number: { ru: 'Введите число', en: 'Enter a number' },
  bad_point: {
    ru: 'Широта от −90 до 90 и долгота от −180 до 180',
    en: 'Latitude from −90 to 90 and longitude from −180 to 180',
  },
} satisfies Record<string, Localized>;

function number(text: string): number {
  const cleaned = text.trim().replace(',', '.').replace(/[\s\u00a0]/g, '');
  return cleaned === '' ? NaN : Number(cleaned);
}

/** Reads one entry: no answer (left empty), an answer, or a problem to show at once. */
export function readEntry(question: Question, entry: Entry): Answer | undefined | { problem: Localized } {
  switch (entry.kind) {
    case 'many':
      return entry.picked.length === 0 ? undefined : { type: 'select_many', value: entry.picked };
    case 'photo':
      return entry.photo === null ? undefined : { type: 'photo', value: entry.photo };
    case 'point': {
      if (entry.lat.trim() === '' && entry.lon.trim() === '') return undefined;
      const lat = number(entry.lat);
      const lon = number(entry.lon);
      if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
        return { problem: ENTRY_PROBLEMS.bad_point };
      }
      return { type: 'geopoint', value: { lat, lon, accuracy_m: entry.accuracy_m } };
    }
    case 'text': {
      const text = entry.text.trim();
      if (text === '') return undefined;
      if (question.type === 'integer') {
        const value = number(text);
        return Number.isSafeInteger(value) ? { type: 'integer', value } : { problem: ENTRY_PROBLEMS.not_integer };
      }
      if (question.type === 'decimal') {
        const value = number(text);
        return Number.isFinite(value) ? { type: 'decimal', value } : { problem: ENTRY_PROBLEMS.not_number };
      }
      const kind = question.type as 'text' | 'phone' | 'email' | 'date' | 'select_one';
      return { type: kind, value: text };
    }
  }
}

/** The answers the entries hold for the questions shown, and the problems found reading them. */
export function collectAnswers(
  questionnaire: Questionnaire,
  entries: Entries,
): { answers: Record<string, Answer>; problems: Record<string, Localized> } {
  const read: Record<string, Answer> = {};
  const problems: Record<string, Localized> = {};
  for (const question of questionnaire.questions) {
    const entry = entries[question.id];
    if (!entry) continue;
    const result = readEntry(question, entry);
    if (result === undefined) continue;
    if ('problem' in result) problems[question.id] = result.problem;
    else read[question.id] = result;
  }
  const shown = new Set(visibleQuestions(questionnaire, read).map((q) => q.id));
  const answers: Record<string, Answer> = {};
  for (const [id, answer] of Object.entries(read)) if (shown.has(id)) answers[id] = answer;
  for (const id of Object.keys(problems)) if (!shown.has(id)) delete problems[id];
  return { answers, problems };
}

/** The replica's problems, one message per question (the first found), in the language shown. */
export function problemMessages(problems: Problem[], language: Language): Record<string, string> {
  const byQuestion: Record<string, string> = {};
  for (const problem of problems) byQuestion[problem.question] ??= localized(problem.message, language);
  return byQuestion;
}
