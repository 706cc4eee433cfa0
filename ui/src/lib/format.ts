// Formatting shared by the screens.
import type { MessageKey } from './i18n.svelte';
import type { Status } from './types';

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
