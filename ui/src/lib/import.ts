// The fields a spreadsheet column can be imported into, in the order the mapping offers them,
// with their names in words (as census-core's `import::field_name` says them).
import type { Language } from './i18n.svelte';
import type { ColumnMapping, FieldChange, ImportField, ImportPreview, Questionnaire } from './types';

const FIELDS: [ImportField, string, string][] = [
  ['census_id', 'Идентификатор Census', 'Census id'],
  ['name', 'Название', 'Name'],
  ['category', 'Категория', 'Category'],
  ['status', 'Статус', 'Status'],
  ['territory', 'Территория', 'Territory'],
  ['address', 'Адрес одной строкой', 'Address on one line'],
  ['address_line', 'Улица и дом', 'Street'],
  ['city', 'Город', 'City'],
  ['region', 'Регион', 'Region'],
  ['postcode', 'Индекс', 'Postcode'],
  ['country', 'Страна', 'Country'],
  ['lat', 'Широта', 'Latitude'],
  ['lon', 'Долгота', 'Longitude'],
  ['contact_name', 'Контактное лицо', 'Contact'],
  ['contact_role', 'Должность контакта', 'Contact’s role'],
  ['phone', 'Телефон', 'Phone'],
  ['email', 'Эл. почта', 'E-mail'],
  ['tags', 'Метки', 'Tags'],
  ['notes', 'Заметки', 'Notes'],
];

export const IMPORT_FIELDS: ImportField[] = FIELDS.map(([field]) => field);

export function importFieldName(field: ImportField, language: Language): string {
  const found = FIELDS.find(([f]) => f === field);
  if (found) return language === 'ru' ? found[1] : found[2];
  return field === 'answer' ? (language === 'ru' ? 'Ответ на вопрос' : 'Answer to a question') : field;
}

// A column's choice in the mapping's select: a field's name, `answer:<question id>` for the
// answers to a question, or '' when the column is not imported.
const ANSWER = 'answer:';

export function columnChoices(mapping: ColumnMapping): string[] {
  return mapping.columns.map((field, i) => {
    if (field === 'answer') return ANSWER + (mapping.questions[i] ?? '');
    return field ?? '';
  });
}

export function mappingOf(choices: string[]): ColumnMapping {
  const mapping: ColumnMapping = { columns: [], questions: [] };
  for (const choice of choices) {
    const question = choice.startsWith(ANSWER) ? choice.slice(ANSWER.length) : null;
    mapping.columns.push(question !== null ? 'answer' : choice === '' ? null : (choice as ImportField));
    mapping.questions.push(question);
  }
  return mapping;
}

/** The choice for answers to `question`. */
export const answerChoice = (question: string) => ANSWER + question;

/** What changed, named: the question's label for an answer, else the field's name. */
export function changeName(change: FieldChange, questionnaire: Questionnaire | null, language: Language): string {
  if (change.question === null) return importFieldName(change.field, language);
  const question = questionnaire?.questions.find((q) => q.id === change.question);
  return question ? question.label[language] : change.question;
}

/** The counts of a preview, as the message templates take them. */
export function importCounts(preview: ImportPreview): Record<string, number> {
  return {
    new: preview.new,
    updated: preview.updated,
    unchanged: preview.unchanged,
    duplicates: preview.likely_duplicates,
    invalid: preview.invalid,
  };
}
