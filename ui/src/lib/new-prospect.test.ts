import { describe, expect, it } from 'vitest';
import { checkForm, parsePosition } from './new-prospect';

describe('the new-prospect form', () => {
  const good = { name: 'Ромашка', territory: 't1', lat: '', lon: '' };

  it('accepts a name and a territory without a position', () => {
    expect(checkForm(good)).toEqual({});
  });

  it('asks for a name and a territory', () => {
    expect(checkForm({ ...good, name: '  ', territory: '' })).toEqual({
      name: 'need_name',
      territory: 'need_territory',
    });
  });

  it('reads a position with a point or a comma, and refuses half or out-of-range ones', () => {
    expect(parsePosition('56,85', '35.9', 7)).toEqual({ lat: 56.85, lon: 35.9, accuracy_m: null, at: 7 });
    expect(parsePosition('', '', 7)).toBeNull();
    expect(parsePosition('56.85', '', 7)).toBe('invalid');
    expect(parsePosition('91', '10', 7)).toBe('invalid');
    expect(parsePosition('north', '10', 7)).toBe('invalid');
    expect(checkForm({ ...good, lat: '56.85' })).toEqual({ lat: 'bad_position' });
  });
});
