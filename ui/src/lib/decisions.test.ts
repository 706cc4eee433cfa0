import { describe, expect, it } from 'vitest';
import { managersDecide } from './decisions';

describe('managersDecide', () => {
  it('names the decisions only managers make', () => {
    for (const path of ['review', 'merged_into', 'distinct_from', 'deleted']) expect(managersDecide(path)).toBe(true);
  });
  it('leaves every field an agent fills to the agent', () => {
    for (const path of ['name', 'status', 'address.city', 'contacts.0193.phone', 'location', 'reviewer']) {
      expect(managersDecide(path)).toBe(false);
    }
  });
});
