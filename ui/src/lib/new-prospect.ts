// Checking the new-prospect form before anything is saved: problems come back as message keys
// shown next to their fields.
import type { MessageKey } from './i18n.svelte';
import type { Location } from './types';

export interface NewProspectForm {
  name: string;
  territory: string;
  lat: string;
  lon: string;
}

export type FormProblems = Partial<Record<keyof NewProspectForm, MessageKey>>;

/** The position typed in, if any: both fields empty is none, one empty or out of range is a problem. */
export function parsePosition(lat: string, lon: string, now: number): Location | null | 'invalid' {
  if (lat.trim() === '' && lon.trim() === '') return null;
  const la = Number(lat.replace(',', '.'));
  const lo = Number(lon.replace(',', '.'));
  if (lat.trim() === '' || lon.trim() === '' || !Number.isFinite(la) || !Number.isFinite(lo)) return 'invalid';
  if (Math.abs(la) > 90 || Math.abs(lo) > 180) return 'invalid';
  return { lat: la, lon: lo, accuracy_m: null, at: now };
}

export function checkForm(form: NewProspectForm): FormProblems {
  const problems: FormProblems = {};
  if (form.name.trim() === '') problems.name = 'need_name';
  if (form.territory === '') problems.territory = 'need_territory';
  if (parsePosition(form.lat, form.lon, 0) === 'invalid') problems.lat = 'bad_position';
  return problems;
}
