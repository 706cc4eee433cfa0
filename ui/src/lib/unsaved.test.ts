import { describe, expect, it } from 'vitest';
import { keepUntilSaved, saveEverything } from './unsaved';

describe('unsaved work', () => {
  it('saves every open form before the window closes, even when one of them fails', async () => {
    const saved: string[] = [];
    const forget = keepUntilSaved(async () => {
      saved.push('visit');
    });
    keepUntilSaved(async () => {
      throw new Error('the disk is full');
    });
    const gone = keepUntilSaved(async () => {
      saved.push('closed form');
    });
    gone();
    await saveEverything();
    expect(saved).toEqual(['visit']);
    forget();
    await saveEverything();
    expect(saved).toEqual(['visit']);
  });
});
