// The map's arithmetic and data, apart from drawing: markers and outlines as GeoJSON, the
// accuracy circle around the device's position, distances on the ground, the prospects nearest
// to the agent that no one has visited yet, and where the device's own map packs are served.
import type { Feature, FeatureCollection, Point, Polygon } from 'geojson';
import type { MapPoints, Status, Territory } from './types';

/** Each status's marker colour: cold for not yet worked, warm for under way, green for won. */
export const STATUS_COLOURS: Record<Status, string> = {
  new: '#2f6fde',
  visited: '#7b4fd6',
  interested: '#e08a00',
  negotiating: '#d45d00',
  client: '#1f8a4c',
  refused: '#b03a2e',
  closed: '#6b6b6b',
  not_found: '#a0a0a0',
};

const EARTH_RADIUS_M = 6_371_008.8;

export interface Position {
  lat: number;
  lon: number;
}

/** What a map pack on the device covers (the app's `packs.json`). */
export interface PackInfo {
  name: string;
  bounds: { west: number; south: number; east: number; north: number };
  min_zoom: number;
  max_zoom: number;
  attribution: string;
  tiles: number;
}

/**
 * Where the app serves the device's map packs: its own `census-map` scheme, which Windows and
 * Android spell as an http host.
 */
export function mapPackBase(userAgent: string): string {
  return /Windows|Android/.test(userAgent) ? 'http://census-map.localhost' : 'census-map://localhost';
}

/** Metres between two positions along the ground (haversine). */
export function distanceM(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The markers as GeoJSON points, each with its prospect's id, status and name. */
export function markersOf(points: MapPoints): FeatureCollection<Point> {
  const features: Feature<Point>[] = new Array(points.ids.length);
  for (let i = 0; i < points.ids.length; i++) {
    features[i] = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [points.lon[i], points.lat[i]] },
      properties: { id: points.ids[i], status: points.status[i], name: points.name[i] },
    };
  }
  return { type: 'FeatureCollection', features };
}

/** A ring of `sides` corners `radiusM` metres around a position: the accuracy of a GPS fix. */
export function circle(centre: Position, radiusM: number, sides = 64): Feature<Polygon> {
  const ring: [number, number][] = [];
  const dLat = (radiusM / EARTH_RADIUS_M) * (180 / Math.PI);
  const dLon = dLat / Math.max(0.01, Math.cos((centre.lat * Math.PI) / 180));
  for (let i = 0; i <= sides; i++) {
    const angle = (2 * Math.PI * (i % sides)) / sides;
    ring.push([centre.lon + dLon * Math.cos(angle), centre.lat + dLat * Math.sin(angle)]);
  }
  return { type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: {} };
}

/** Territory outlines (corners are `[lat, lon]`) as closed polygons, with their names. */
export function outlinesOf(territories: Territory[]): FeatureCollection<Polygon> {
  const features = territories
    .filter((t) => t.boundary.length >= 3)
    .map((t): Feature<Polygon> => {
      const ring = t.boundary.map(([lat, lon]) => [lon, lat]);
      ring.push(ring[0]);
      return { type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { id: t.id, name: t.name } };
    });
  return { type: 'FeatureCollection', features };
}

/** Where each territory's name is written: its northernmost corner. */
export function outlineLabelsOf(territories: Territory[]): FeatureCollection<Point> {
  const features = territories
    .filter((t) => t.boundary.length >= 3)
    .map((t): Feature<Point> => {
      const [lat, lon] = t.boundary.reduce((top, corner) => (corner[0] > top[0] ? corner : top));
      return { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { name: t.name } };
    });
  return { type: 'FeatureCollection', features };
}

export interface Nearby {
  id: string;
  name: string;
  status: Status;
  distanceM: number;
}

/** The `count` prospects nearest to `from` that have no visit yet, nearest first. */
export function nearestUnvisited(points: MapPoints, from: Position, count: number): Nearby[] {
  const found: Nearby[] = [];
  for (let i = 0; i < points.ids.length; i++) {
    if (points.visited[i]) continue;
    const d = distanceM(from, { lat: points.lat[i], lon: points.lon[i] });
    if (found.length < count || d < found[found.length - 1].distanceM) {
      found.push({ id: points.ids[i], name: points.name[i], status: points.status[i], distanceM: d });
      found.sort((a, b) => a.distanceM - b.distanceM);
      if (found.length > count) found.pop();
    }
  }
  return found;
}

/** The box around positions `[west, south, east, north]`, or null when there are none. */
export function boxAround(positions: Position[]): [number, number, number, number] | null {
  if (positions.length === 0) return null;
  let [west, south, east, north] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of positions) {
    west = Math.min(west, p.lon);
    east = Math.max(east, p.lon);
    south = Math.min(south, p.lat);
    north = Math.max(north, p.lat);
  }
  return [west, south, east, north];
}
