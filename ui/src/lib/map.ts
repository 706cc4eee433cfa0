// The map's data, apart from drawing: where the device's own map packs and the markers' tiles
// are served, territory outlines as GeoJSON, and the accuracy circle around the device's position.
import type { Feature, FeatureCollection, Point, Polygon } from 'geojson';
import type { ListFilter, Status, Territory } from './types';

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

/** The markers' tiles' one layer, and the zoom from which each prospect stands alone: as
 * census-replica's marker_tiles.rs makes them. */
export const MARKER_LAYER = 'prospects';
export const CLUSTER_BELOW_ZOOM = 16;

/** The address of the markers' tiles for a filter; `generation` makes them afresh. */
export function markerTiles(base: string, filter: ListFilter, generation: number): string {
  return `${base}/markers/{z}/{x}/{y}.pbf?filter=${encodeURIComponent(JSON.stringify(filter))}&v=${generation}`;
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
