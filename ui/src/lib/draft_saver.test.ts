import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DraftSaver, type DraftSaved } from './draft_saver';

describe('saving a visit draft', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('saves a moment after the last change, and tries again while a save fails, saying so', async () => {
    let failures = 2;
    let saves = 0;
    const heard: DraftSaved[] = [];
    const saver = new DraftSaver(
      async () => {
        saves += 1;
        if (failures > 0) {
          failures -= 1;
          throw new Error('the disk is full');
        }
      },
      (outcome) => heard.push(outcome),
    );
    saver.changed();
    await vi.advanceTimersByTimeAsync(500);
    saver.changed();
    await vi.advanceTimersByTimeAsync(799);
    expect(saves).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(saves).toBe(1);
    expect(heard.map((h) => h.saved)).toEqual([false]);
    await vi.advanceTimersByTimeAsync(3000);
    await vi.advanceTimersByTimeAsync(3000);
    expect(saves).toBe(3);
    expect(heard.map((h) => h.saved)).toEqual([false, false, true]);
    // Saved: nothing more is tried.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(saves).toBe(3);
  });

  it('saves at once what is unsaved when the window closes, and nothing when all is saved', async () => {
    let saves = 0;
    const saver = new DraftSaver(
      async () => {
        saves += 1;
      },
      () => undefined,
    );
    await saver.flush();
    expect(saves).toBe(0);
    saver.changed();
    await saver.flush();
    expect(saves).toBe(1);
    expect(saver.waiting).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves).toBe(1);
  });
});
