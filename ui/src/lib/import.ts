// The fields a spreadsheet column can be imported into, in the order the mapping offers them,
// with their names in words (as census-core's `import::field_name` says them).
import type { Language } from './i18n.svelte';
import type { ImportField, ImportPreview } from './types';

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
  return found ? (language === 'ru' ? found[1] : found[2]) : field;
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
