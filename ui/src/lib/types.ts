// The shapes the Rust commands exchange with the window (serde's JSON of census-core,
// census-replica and census-app types).

export type Role = 'agent' | 'manager' | 'admin';
export type Status =
  | 'new'
  | 'visited'
  | 'interested'
  | 'negotiating'
  | 'client'
  | 'refused'
  | 'closed'
  | 'not_found';
export type ReviewState = 'pending' | 'approved' | 'flagged';

export interface Person {
  id: string;
  login: string;
  name: string;
  role: Role;
  retired: boolean;
}

export interface Session {
  device: string;
  server: string | null;
  user: Person | null;
  role: Role | null;
}

export interface ProspectRow {
  id: string;
  territory: string;
  name: string;
  category: string;
  status: Status;
  review_state: ReviewState | null;
  has_conflicts: boolean;
  merged_into: string | null;
  deleted: boolean;
  address: string;
  phones: string;
  lat: number | null;
  lon: number | null;
  visits: number;
  last_visit_at: number | null;
  created_at: number;
  updated_at: number;
}

export type SortBy = 'name' | 'recently_updated' | 'status';

export interface ListFilter {
  territory: string | null;
  status: Status | null;
  category: string | null;
  review_state: ReviewState | null;
  has_conflicts: boolean | null;
  updated_since: number | null;
  include_hidden: boolean;
  sort: SortBy;
  limit: number;
  offset: number;
}

export interface Contact {
  name: string;
  role: string;
  phone: string;
  email: string;
}

/** A whole prospect: what a new one starts with, and the rest. */
export interface Prospect extends NewProspect {
  id: string;
  contacts: Record<string, Contact>;
  tags: string[];
  notes: string;
  visits: Record<string, Visit>;
  photos: Record<string, { sha256: string; mime: string; bytes: number; taken_at: number; caption: string }>;
  created: { by: string; at: number };
}

export interface FieldEdit {
  /** `name`, `address/city`, `contacts/<id>/phone`, `visits/<id>`, … */
  path: string;
  value: string | null;
  at: number;
  user: string | null;
  device: string | null;
  source: string | null;
  change: string;
}

export interface Conflict {
  path: string;
  values: { value: FieldValue; at: number; user: string | null; device: string | null }[];
}

export interface ProspectDetail {
  prospect: Prospect;
  conflicts: Conflict[];
  history: FieldEdit[];
}

export type SyncProgress =
  | { phase: 'directory' }
  | { phase: 'push'; done: number; total: number }
  | { phase: 'bootstrap'; scope: string; received: number; total: number }
  | { phase: 'pull'; scope: string; received: number; total: number };

export interface SyncReport {
  pushed: number;
  refused: number;
  pulled: number;
  bootstrapped: number;
  updated: number;
  removed: number;
  set_aside: number;
}

export interface SyncStatus {
  pending: number;
  last_sync: number | null;
}

export type ErrorKind =
  | 'signed_out'
  | 'offline'
  | 'wrong_password'
  | 'revoked'
  | 'server'
  | 'invalid'
  | 'storage';

export interface AppError {
  kind: ErrorKind;
  message: string;
}

export interface Territory {
  id: string;
  name: string;
  planned_prospects: number | null;
  agents: string[];
}

export interface Address {
  line: string;
  city: string;
  region: string;
  postcode: string;
  country: string;
}

export interface Location {
  lat: number;
  lon: number;
  accuracy_m: number | null;
  at: number;
}

export interface NewProspect {
  territory: string;
  name: string;
  category: string;
  status: Status;
  address: Address;
  location: Location | null;
}

export interface Localized {
  ru: string;
  en: string;
}

export type QuestionType =
  | 'text'
  | 'integer'
  | 'decimal'
  | 'select_one'
  | 'select_many'
  | 'date'
  | 'geopoint'
  | 'phone'
  | 'email'
  | 'photo';

export type Match =
  | 'answered'
  | 'not_answered'
  | { equals: string }
  | { one_of: string[] }
  | { at_least: number }
  | { at_most: number };

export type Condition =
  | { answer: { question: string; matches: Match } }
  | { all: Condition[] }
  | { any: Condition[] };

export interface Choice {
  value: string;
  label: Localized;
}

export interface Question {
  id: string;
  label: Localized;
  type: QuestionType;
  hint: Localized | null;
  required: boolean;
  min: number | null;
  max: number | null;
  min_date: string | null;
  max_date: string | null;
  pattern: string | null;
  choices: Choice[];
  relevant: Condition | null;
}

export interface Questionnaire {
  id: string;
  version: number;
  title: Localized;
  questions: Question[];
}

export interface GeoPoint {
  lat: number;
  lon: number;
  accuracy_m: number | null;
}

export interface PhotoAnswer {
  sha256: string;
  mime: string;
}

export type Answer =
  | { type: 'text' | 'phone' | 'email' | 'date' | 'select_one'; value: string }
  | { type: 'integer' | 'decimal'; value: number }
  | { type: 'select_many'; value: string[] }
  | { type: 'geopoint'; value: GeoPoint }
  | { type: 'photo'; value: PhotoAnswer };

export interface Problem {
  question: string;
  kind: string;
  message: Localized;
}

export interface QuestionnaireRef {
  id: string;
  version: number;
}

export interface Visit {
  id: string;
  at: number;
  agent: string;
  questionnaire: QuestionnaireRef;
  answers: Record<string, Answer>;
  location: Location | null;
  outcome: string;
}

/** A visit as the form holds it; the id comes with the first saved draft. */
export interface VisitForm {
  id: string | null;
  questionnaire: QuestionnaireRef;
  answers: Record<string, Answer>;
  location: Location | null;
  outcome: string;
}

export interface VisitDraft {
  prospect: string;
  saved_at: number;
  visit: Visit;
}

export type VisitOutcome =
  | { outcome: 'recorded'; prospect: Prospect }
  | { outcome: 'invalid'; problems: Problem[] };

export interface ContactPatch {
  name: string | null;
  role: string | null;
  phone: string | null;
  email: string | null;
}

export type FieldValue =
  | { type: 'text'; value: string }
  | { type: 'flag'; value: boolean }
  | { type: 'location'; value: Location }
  | { type: 'review'; value: unknown }
  | { type: 'missing' };

export interface TerritoryProgress {
  territory: string;
  prospects: number;
  surveyed: number;
  visited_since: number;
}

export type SyncFinished =
  | { outcome: 'synced'; report: SyncReport; background: boolean }
  | { outcome: 'failed'; error: AppError; background: boolean };
