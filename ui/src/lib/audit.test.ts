import { describe, expect, it } from 'vitest';
import { AUDIT_KINDS, auditKindKey } from './audit';
import { i18n, t } from './i18n.svelte';

describe('the audit trail kinds', () => {
  it('are each named in both languages', () => {
    for (const language of ['ru', 'en'] as const) {
      i18n.language = language;
      for (const kind of AUDIT_KINDS) {
        const name = t(auditKindKey(kind));
        expect(name).not.toBe(auditKindKey(kind));
        expect(name.length).toBeGreaterThan(3);
      }
    }
  });
});
