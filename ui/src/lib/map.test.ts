import { describe, expect, it } from 'vitest';
import { circle, mapPackBase, markerTiles, outlineLabelsOf, outlinesOf } from './map';
import type { ListFilter, Territory } from './types';

/** Metres between two positions along the ground (haversine). */
function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const h =
    Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lon - a.lon) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

describe('the map', () => {
  it('asks for the markers\' tiles with the list\'s filter, afresh each generation', () => {
    const filter = { territory: null, status: 'client', category: 'Кафе & бар' } as unknown as ListFilter;
    const url = markerTiles('census-map://localhost', filter, 3);
    expect(url.startsWith('census-map://localhost/markers/{z}/{x}/{y}.pbf?filter=')).toBe(true);
    const query = new URLSearchParams(url.split('?')[1]);
    expect(JSON.parse(query.get('filter')!)).toEqual(filter);
    expect(query.get('v')).toBe('3');
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

  it('serves packs where each platform can reach them', () => {
    expect(mapPackBase('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit')).toBe('census-map://localhost');
    expect(mapPackBase('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/120')).toBe('http://census-map.localhost');
    expect(mapPackBase('Mozilla/5.0 (Linux; Android 14) AppleWebKit')).toBe('http://census-map.localhost');
  });
});
