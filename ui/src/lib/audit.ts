// The kinds of events in the server's audit trail, and the words each is shown with.
import type { MessageKey } from './i18n.svelte';
import type { AuditKind } from './types';

export const AUDIT_KINDS: AuditKind[] = [
  'signed_in',
  'sign_in_failed',
  'sign_ins_throttled',
  'device_revoked',
  'device_reinstated',
  'person_added',
  'person_retired',
  'password_changed',
  'role_changed',
  'push_refused',
  'events_dropped',
];

/** The message that names a kind of event. */
export function auditKindKey(kind: AuditKind): MessageKey {
  return `audit_${kind}` as MessageKey;
}
