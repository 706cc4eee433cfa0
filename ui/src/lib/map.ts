// The map's arithmetic, apart from drawing: Web Mercator between positions and screen pixels,
// the box in view, fitting a set of positions, and the marker under a tap. With no tiles the
// map needs nothing from the network; an offline tile file can be drawn underneath later.
import type { Status } from './types';

export interface View {
  /** The position at the middle of the map. */
  lat: number;
  lon: number;
  /** Zoom level: the whole world is 256 × 2^zoom pixels wide. */
  zoom: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export const MIN_ZOOM = 2;
export const MAX_ZOOM = 19;
const MAX_LAT = 85.05112878;

function worldSize(zoom: number): number {
  return 256 * 2 ** zoom;
}

/** World pixels (0 to worldSize) of a position. */
function toWorld(lat: number, lon: number, zoom: number): Point {
  const size = worldSize(zoom);
  const clamped = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));
  const sin = Math.sin((clamped * Math.PI) / 180);
  return {
    x: ((lon + 180) / 360) * size,
    y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size,
  };
}

function fromWorld(point: Point, zoom: number): { lat: number; lon: number } {
  const size = worldSize(zoom);
  const lon = (point.x / size) * 360 - 180;
  const n = Math.PI - (2 * Math.PI * point.y) / size;
  const lat = (180 / Math.PI) * Math.atan(Math.sinh(n));
  return { lat, lon };
}

/** Where a position is drawn on the screen. */
export function toScreen(view: View, lat: number, lon: number): Point {
  const centre = toWorld(view.lat, view.lon, view.zoom);
  const world = toWorld(lat, lon, view.zoom);
  return { x: world.x - centre.x + view.width / 2, y: world.y - centre.y + view.height / 2 };
}

/** The position under a point of the screen. */
export function toPosition(view: View, point: Point): { lat: number; lon: number } {
  const centre = toWorld(view.lat, view.lon, view.zoom);
  return fromWorld({ x: centre.x + point.x - view.width / 2, y: centre.y + point.y - view.height / 2 }, view.zoom);
}

/** The view moved by a drag of `dx, dy` pixels. */
export function panned(view: View, dx: number, dy: number): View {
  const { lat, lon } = toPosition(view, { x: view.width / 2 - dx, y: view.height / 2 - dy });
  return { ...view, lat: Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)), lon: ((((lon + 180) % 360) + 360) % 360) - 180 };
}

/** The view zoomed by `steps` (may be fractional) keeping the position under `around` still. */
export function zoomed(view: View, steps: number, around: Point): View {
  const zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, view.zoom + steps));
  const anchor = toPosition(view, around);
  const next = { ...view, zoom };
  const moved = toScreen(next, anchor.lat, anchor.lon);
  return panned(next, around.x - moved.x, around.y - moved.y);
}

/** The box in view: south, north, west, east. */
export function bounds(view: View): { south: number; north: number; west: number; east: number } {
  const topLeft = toPosition(view, { x: 0, y: 0 });
  const bottomRight = toPosition(view, { x: view.width, y: view.height });
  return { south: bottomRight.lat, north: topLeft.lat, west: topLeft.lon, east: bottomRight.lon };
}

/** A view showing every position given, with a margin; `fallback` when there are none. */
export function fitted(
  positions: { lat: number; lon: number }[],
  width: number,
  height: number,
  fallback: { lat: number; lon: number },
): View {
  if (positions.length === 0) return { ...fallback, zoom: 12, width, height };
  const lats = positions.map((p) => p.lat);
  const lons = positions.map((p) => p.lon);
  const [south, north, west, east] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const centre = { lat: (south + north) / 2, lon: (west + east) / 2 };
  let zoom = MAX_ZOOM;
  while (zoom > MIN_ZOOM) {
    const a = toWorld(north, west, zoom);
    const b = toWorld(south, east, zoom);
    if (b.x - a.x <= width * 0.85 && b.y - a.y <= height * 0.85) break;
    zoom -= 0.5;
  }
  return { ...centre, zoom: Math.min(zoom, 17), width, height };
}

/** The nearest marker within `radius` pixels of a tap, if any. */
export function markerAt<T extends { lat: number | null; lon: number | null }>(
  view: View,
  markers: T[],
  tap: Point,
  radius = 12,
): T | null {
  let best: T | null = null;
  let bestDistance = radius * radius;
  for (const marker of markers) {
    if (marker.lat === null || marker.lon === null) continue;
    const p = toScreen(view, marker.lat, marker.lon);
    const d = (p.x - tap.x) ** 2 + (p.y - tap.y) ** 2;
    if (d <= bestDistance) {
      best = marker;
      bestDistance = d;
    }
  }
  return best;
}

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
