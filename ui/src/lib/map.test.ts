import { describe, expect, it } from 'vitest';
import { bounds, fitted, markerAt, panned, toPosition, toScreen, zoomed, type View } from './map';

const tver: View = { lat: 56.86, lon: 35.9, zoom: 14, width: 800, height: 600 };

describe('the map', () => {
  it('puts the centre in the middle and finds the position under any pixel', () => {
    expect(toScreen(tver, 56.86, 35.9)).toEqual({ x: 400, y: 300 });
    const p = toPosition(tver, { x: 123, y: 456 });
    const back = toScreen(tver, p.lat, p.lon);
    expect(back.x).toBeCloseTo(123, 6);
    expect(back.y).toBeCloseTo(456, 6);
  });

  it('shows north up and east to the right', () => {
    const { south, north, west, east } = bounds(tver);
    expect(north).toBeGreaterThan(56.86);
    expect(south).toBeLessThan(56.86);
    expect(east).toBeGreaterThan(35.9);
    expect(west).toBeLessThan(35.9);
    expect(toScreen(tver, north, west).x).toBeCloseTo(0, 6);
  });

  it('moves with a drag and keeps the point under the cursor still when zooming', () => {
    const moved = panned(tver, 100, 0);
    expect(toScreen(moved, 56.86, 35.9).x).toBeCloseTo(500, 6);
    const cursor = { x: 600, y: 200 };
    const under = toPosition(tver, cursor);
    const closer = zoomed(tver, 1, cursor);
    expect(closer.zoom).toBe(15);
    const after = toScreen(closer, under.lat, under.lon);
    expect(after.x).toBeCloseTo(600, 4);
    expect(after.y).toBeCloseTo(200, 4);
    expect(zoomed(tver, 40, cursor).zoom).toBe(19);
  });

  it('fits every prospect in view, or falls back to a place when there are none', () => {
    const points = [
      { lat: 56.8, lon: 35.8 },
      { lat: 56.9, lon: 36.0 },
    ];
    const view = fitted(points, 800, 600, { lat: 0, lon: 0 });
    for (const p of points) {
      const s = toScreen(view, p.lat, p.lon);
      expect(s.x).toBeGreaterThan(0);
      expect(s.x).toBeLessThan(800);
      expect(s.y).toBeGreaterThan(0);
      expect(s.y).toBeLessThan(600);
    }
    expect(fitted([], 800, 600, { lat: 56.86, lon: 35.9 })).toEqual({ lat: 56.86, lon: 35.9, zoom: 12, width: 800, height: 600 });
  });

  it('finds the marker under a tap, the nearest first, and none on empty ground', () => {
    const markers = [
      { id: 'a', lat: 56.86, lon: 35.9 },
      { id: 'b', lat: 56.8601, lon: 35.9001 },
      { id: 'c', lat: null, lon: null },
    ];
    expect(markerAt(tver, markers, { x: 401, y: 300 })?.id).toBe('a');
    const b = toScreen(tver, 56.8601, 35.9001);
    expect(markerAt(tver, markers, b)?.id).toBe('b');
    expect(markerAt(tver, markers, { x: 10, y: 10 })).toBeNull();
  });
});
