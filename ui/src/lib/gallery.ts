// The photos of a prospect as its card shows them: those of its visits' answers and its own,
// each once, newest first (as census-core's `pictures_of` counts them).
import type { Prospect } from './types';

export type GalleryPhoto = { sha256: string; mime: string; at: number };

export function picturesOf(prospect: Prospect): GalleryPhoto[] {
  const found = new Map<string, GalleryPhoto>();
  const keep = (photo: GalleryPhoto) => {
    const known = found.get(photo.sha256);
    if (!known || known.at < photo.at) found.set(photo.sha256, photo);
  };
  for (const visit of Object.values(prospect.visits)) {
    if (!visit) continue;
    for (const answer of Object.values(visit.answers)) {
      if (answer?.type === 'photo') keep({ sha256: answer.value.sha256, mime: answer.value.mime, at: visit.at });
    }
  }
  for (const photo of Object.values(prospect.photos)) {
    if (photo) keep({ sha256: photo.sha256, mime: photo.mime, at: photo.taken_at });
  }
  return [...found.values()].sort((a, b) => b.at - a.at || a.sha256.localeCompare(b.sha256));
}

/** The index a swipe or an arrow key moves to, going round at either end. */
export function stepped(index: number, by: number, count: number): number {
  if (count === 0) return 0;
  return (((index + by) % count) + count) % count;
}

/** A horizontal swipe's direction: -1 to the previous photo, 1 to the next, 0 for a tap. */
export function swipeDirection(fromX: number, toX: number, least = 50): -1 | 0 | 1 {
  const moved = toX - fromX;
  if (Math.abs(moved) < least) return 0;
  return moved < 0 ? 1 : -1;
}
