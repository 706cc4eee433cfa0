import { describe, expect, it } from 'vitest';
import { boxAround, circle, distanceM, mapPackBase, markersOf, nearestUnvisited, outlineLabelsOf, outlinesOf } from './map';
import type { MapPoints, Territory } from './types';

const points: MapPoints = {
  ids: ['a', 'b', 'c', 'd'],
  lat: [60.1699, 60.1710, 60.1650, 60.1700],
  lon: [24.9384, 24.9410, 24.9400, 24.9385],
  status: ['new', 'client', 'new', 'visited'],
  name: ['Stockmann', 'Ekberg', 'Fazer', 'Kiosk'],
  visited: [false, false, false, true],
};

describe('the map', () => {
  it('measures distances along the ground', () => {
    // One degree of latitude is about 111.2 km; a degree of longitude shrinks with the latitude.
    expect(distanceM({ lat: 60, lon: 25 }, { lat: 61, lon: 25 })).toBeCloseTo(111_195, -2);
    expect(distanceM({ lat: 60, lon: 25 }, { lat: 60, lon: 26 })).toBeCloseTo(55_597, -3);
    expect(distanceM({ lat: 60.17, lon: 24.94 }, { lat: 60.17, lon: 24.94 })).toBe(0);
  });

  it('lists the nearest prospects not yet visited, nearest first', () => {
    const here = { lat: 60.1700, lon: 24.9385 };
    const nearest = nearestUnvisited(points, here, 2);
    expect(nearest.map((n) => n.name)).toEqual(['Stockmann', 'Ekberg']);
    expect(nearest[0].distanceM).toBeLessThan(20);
    expect(nearestUnvisited(points, here, 10).map((n) => n.id)).toEqual(['a', 'b', 'c']);
  });

  it('makes markers of the points, east before north as GeoJSON wants', () => {
    const markers = markersOf(points);
    expect(markers.features).toHaveLength(4);
    expect(markers.features[1].geometry.coordinates).toEqual([24.941, 60.171]);
    expect(markers.features[1].properties).toEqual({ id: 'b', status: 'client', name: 'Ekberg' });
  });

  it('draws the accuracy circle at its radius all round', () => {
    const centre = { lat: 60.17, lon: 24.94 };
    const ring = circle(centre, 50).geometry.coordinates[0];
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    for (const [lon, lat] of ring) expect(distanceM(centre, { lat, lon })).toBeCloseTo(50, 0);
  });

  it('closes territory outlines and names each at its northernmost corner', () => {
    const territory = {
      id: 't',
      name: 'Хельсинки — Юг',
      planned_prospects: null,
      agents: [],
      boundary: [[60.16, 24.93], [60.16, 24.95], [60.17, 24.95], [60.17, 24.93]],
    } as unknown as Territory;
    const unfinished = { ...territory, id: 'u', boundary: [[60, 24]] } as unknown as Territory;
    const outline = outlinesOf([territory, unfinished]);
    expect(outline.features).toHaveLength(1);
    const ring = outline.features[0].geometry.coordinates[0];
    expect(ring).toHaveLength(5);
    expect(ring[0]).toEqual([24.93, 60.16]);
    expect(ring[4]).toEqual(ring[0]);
    expect(outlineLabelsOf([territory]).features[0].geometry.coordinates[1]).toBe(60.17);
  });

  it('frames positions, and serves packs where each platform can reach them', () => {
    expect(boxAround([])).toBeNull();
    expect(boxAround([{ lat: 60.17, lon: 24.94 }, { lat: 60.16, lon: 24.95 }])).toEqual([24.94, 60.16, 24.95, 60.17]);
    expect(mapPackBase('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit')).toBe('census-map://localhost');
    expect(mapPackBase('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/120')).toBe('http://census-map.localhost');
    expect(mapPackBase('Mozilla/5.0 (Linux; Android 14) AppleWebKit')).toBe('http://census-map.localhost');
  });
});
