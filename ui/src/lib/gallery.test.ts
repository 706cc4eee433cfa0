import { describe, expect, it } from 'vitest';
import { picturesOf, stepped, swipeDirection } from './gallery';
import type { Prospect, Visit } from './types';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

function visit(id: string, at: number, answers: Visit['answers']): Visit {
  return {
    id,
    at,
    agent: 'u',
    questionnaire: { id: 'q', version: 1 },
    answers,
    location: null,
    outcome: '',
  } as Visit;
}

describe('the photos of a prospect', () => {
  it('holds each photo once, from its visits and its own, newest first', () => {
    const prospect = {
      visits: {
        v1: visit('v1', 100, { front: { type: 'photo', value: { sha256: A, mime: 'image/jpeg' } }, staff: { type: 'integer', value: 3 } }),
        v2: visit('v2', 300, {
          front: { type: 'photo', value: { sha256: B, mime: 'image/png' } },
          shelf: { type: 'photo', value: { sha256: A, mime: 'image/jpeg' } },
        }),
      },
      photos: { [C]: { sha256: C, mime: 'image/webp', bytes: 10, taken_at: 200, caption: '' } },
    } as unknown as Prospect;
    expect(picturesOf(prospect)).toEqual([
      { sha256: A, mime: 'image/jpeg', at: 300 },
      { sha256: B, mime: 'image/png', at: 300 },
      { sha256: C, mime: 'image/webp', at: 200 },
    ]);
  });

  it('moves round the gallery and reads a swipe', () => {
    expect(stepped(0, -1, 3)).toBe(2);
    expect(stepped(2, 1, 3)).toBe(0);
    expect(stepped(0, 1, 0)).toBe(0);
    expect(swipeDirection(300, 100)).toBe(1);
    expect(swipeDirection(100, 300)).toBe(-1);
    expect(swipeDirection(100, 120)).toBe(0);
  });
});
