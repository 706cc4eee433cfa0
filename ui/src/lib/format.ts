// Formatting shared by the screens.
import { i18n, locale, t, type MessageKey } from './i18n.svelte';
import type { Answer, FieldValue, Question, Status } from './types';

export const STATUSES: Status[] = [
  'new',
  'visited',
  'interested',
  'negotiating',
  'client',
  'refused',
  'closed',
  'not_found',
];

export function statusKey(status: Status): MessageKey {
  return `status.${status}`;
}

/** An answer as a line of text in the card: options by their labels in the language shown
 * (when the question is known), numbers as the language writes them. */
export function describeAnswer(answer: Answer, question: Question | null = null): string {
  const label = (value: string) => {
    const choice = question?.choices.find((c) => c.value === value);
    return choice ? choice.label[i18n.language] : value;
  };
  switch (answer.type) {
    case 'select_one':
      return label(answer.value);
    case 'select_many':
      return answer.value.map(label).join(', ');
    case 'integer':
    case 'decimal':
      return new Intl.NumberFormat(locale(), { maximumFractionDigits: 6 }).format(answer.value);
    case 'geopoint':
      return `${answer.value.lat.toFixed(5)}, ${answer.value.lon.toFixed(5)}`;
    case 'photo':
      return answer.value.sha256.slice(0, 12);
    default:
      return String(answer.value);
  }
}

const FIELD_KEYS: Record<string, MessageKey> = {
  name: 'name',
  category: 'category',
  status: 'status',
  notes: 'notes',
  address: 'address',
  location: 'position',
  territory: 'territory',
  deleted: 'field_deleted',
  merged_into: 'field_merged_into',
  contacts: 'contacts',
  phone: 'phone',
  email: 'email',
  role: 'contact_role',
  line: 'street',
  city: 'city',
};

/** A field path (`status`, `address/city`, `contacts/<id>/phone`) in words; ids are left out. */
export function fieldLabel(path: string): string {
  return path
    .split('/')
    .filter((segment) => segment in FIELD_KEYS)
    .map((segment) => t(FIELD_KEYS[segment]))
    .join(' · ') || path;
}

/** One of a conflict's values, as text. */
export function describeValue(value: FieldValue, path = ''): string {
  switch (value.type) {
    case 'text':
      if (path === 'merged_into') return t('ending_merge');
      if (path === 'status' && (STATUSES as string[]).includes(value.value)) return t(statusKey(value.value as Status));
      return `“${value.value}”`;
    case 'flag':
      if (path === 'deleted') return t(value.value ? 'ending_delete' : 'ending_keep_work');
      return value.value ? '✓' : '✗';
    case 'location':
      return `${value.value.lat.toFixed(5)}, ${value.value.lon.toFixed(5)}`;
    case 'review':
      return JSON.stringify(value.value);
    case 'missing':
      if (path === 'merged_into') return t('ending_keep_work');
      return '—';
  }
}

/** The entries of a map read from a document (its values are never actually missing). */
export function entriesOf<V>(map: { [key: string]: V | undefined }): [string, V][] {
  return Object.entries(map).filter((entry): entry is [string, V] => entry[1] !== undefined);
}
