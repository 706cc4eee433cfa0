// The device's position, from the platform's geolocation where there is one. Desktops often
// have none; the forms then let the agent pick on the map or type the coordinates.
import type { Location } from './types';

export type PositionProblem = 'no_geolocation' | 'position_denied' | 'position_unavailable';

export function currentPosition(timeoutMs = 15000): Promise<Location> {
  return new Promise((resolve, reject) => {
    const geolocation = globalThis.navigator?.geolocation;
    if (!geolocation) {
      reject('no_geolocation' satisfies PositionProblem);
      return;
    }
    geolocation.getCurrentPosition(
      (p) =>
        resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy ?? null, at: p.timestamp }),
      (e) => reject((e.code === e.PERMISSION_DENIED ? 'position_denied' : 'position_unavailable') satisfies PositionProblem),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30000 },
    );
  });
}

/**
 * Follows the device's position for the map (where the agent stands, and how sure the platform
 * is of it); answers with a function that stops following. Without geolocation it never calls.
 */
export function watchPosition(onfix: (fix: Location) => void): () => void {
  const geolocation = globalThis.navigator?.geolocation;
  if (!geolocation) return () => {};
  const watch = geolocation.watchPosition(
    (p) => onfix({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy ?? null, at: p.timestamp }),
    () => undefined,
    { enableHighAccuracy: true, maximumAge: 10000 },
  );
  return () => geolocation.clearWatch(watch);
}
