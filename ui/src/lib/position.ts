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
