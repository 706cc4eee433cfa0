// Typed calls to the app's Rust commands.
import { invoke } from '@tauri-apps/api/core';
import type {
  AuditEntry,
  AuditFilter,
  AppError,
  Contact,
  ContactPatch,
  Dashboard,
  DashboardFilter,
  DeviceRecord,
  DuplicateCandidate,
  DuplicatePairs,
  ExportFormat,
  Exported,
  FieldValue,
  Job,
  Language,
  LateArrival,
  ColumnMapping,
  ImportFile,
  ImportOptions,
  ImportPreview,
  ListFilter,
  Location,
  MapPackDownload,
  MapSummary,
  MergeSummary,
  Nearby,
  NewProspect,
  Person,
  PhotoAnswer,
  PictureCache,
  PictureDownload,
  Prospect,
  ProspectDetail,
  ProspectRow,
  Questionnaire,
  RefusedChange,
  Role,
  Retired,
  SavedMapping,
  ReviewState,
  Session,
  Status,
  SyncReport,
  SyncStatus,
  Territory,
  TerritoryProgress,
  Visit,
  VisitDraft,
  VisitForm,
  VisitOutcome,
} from './types';

export const api = {
  session: () => invoke<Session>('session'),
  signIn: (server: string, login: string, password: string, companyCa: string | null, plainHttp: boolean) =>
    invoke<Person>('sign_in', { server, login, password, companyCa, plainHttp }),
  syncNow: () => invoke<SyncReport>('sync_now'),
  syncStatus: () => invoke<SyncStatus>('sync_status'),
  listProspects: (filter: ListFilter) => invoke<ProspectRow[]>('list_prospects', { filter }),
  likelyDuplicates: (prospect: NewProspect) => invoke<DuplicateCandidate[]>('likely_duplicates', { new: prospect }),
  people: () => invoke<Person[]>('people'),
  duplicatePairs: (limit: number) => invoke<DuplicatePairs>('duplicate_pairs', { limit }),
  mergeDuplicate: (survivor: string, duplicate: string) =>
    invoke<MergeSummary>('merge_duplicate', { survivor, duplicate }),
  setApart: (first: string, second: string) => invoke<null>('set_apart', { first, second }),
  dashboard: (filter: DashboardFilter) => invoke<Dashboard>('dashboard', { filter }),
  exportProspects: (filter: ListFilter, format: ExportFormat, language: Language) =>
    invoke<Exported>('export_prospects', { filter, format, language }),
  categories: () => invoke<string[]>('categories'),
  refusedChanges: () => invoke<RefusedChange[]>('refused_changes'),
  countProspects: (filter: ListFilter) => invoke<number>('count_prospects', { filter }),
  searchProspects: (query: string, limit: number) =>
    invoke<ProspectRow[]>('search_prospects', { query, limit }),
  mapSummary: (filter: ListFilter) => invoke<MapSummary>('map_summary', { filter }),
  nearestUnvisited: (lat: number, lon: number, limit: number, filter: ListFilter) =>
    invoke<Nearby[]>('nearest_unvisited', { lat, lon, limit, filter }),
  prospect: (id: string) => invoke<ProspectDetail>('prospect', { id }),
  territories: () => invoke<Territory[]>('territories'),
  devices: () => invoke<DeviceRecord[]>('devices'),
  auditTrail: (filter: AuditFilter) => invoke<AuditEntry[]>('audit_trail', { filter }),
  lateWork: (limit: number) => invoke<LateArrival[]>('late_work', { limit }),
  revokeDevice: (device: string) => invoke<null>('revoke_device', { device }),
  addPerson: (login: string, name: string, role: Role, password: string) =>
    invoke<Person>('add_person', { login, name, role, password }),
  retirePerson: (login: string, successor: string | null) => invoke<Retired>('retire_person', { login, successor }),
  saveTerritory: (territory: {
    id: string | null;
    name: string;
    plannedProspects: number | null;
    agents: string[];
    boundary: [number, number][];
  }) => invoke<Territory>('save_territory', territory),
  publishQuestionnaire: (definition: string) => invoke<Questionnaire>('publish_questionnaire', { definition }),
  territoryProgress: () => invoke<TerritoryProgress[]>('territory_progress'),
  createProspect: (prospect: NewProspect) => invoke<Prospect>('create_prospect', { new: prospect }),
  setStatus: (id: string, status: Status) => invoke<Prospect>('set_status', { id, status }),
  setNotes: (id: string, notes: string) => invoke<Prospect>('set_notes', { id, notes }),
  setLocation: (id: string, location: Location) => invoke<Prospect>('set_location', { id, location }),
  addContact: (id: string, contact: Contact) => invoke<Prospect>('add_contact', { id, contact }),
  editContact: (id: string, contact: string, patch: ContactPatch) =>
    invoke<Prospect>('edit_contact', { id, contact, patch }),
  removeContact: (id: string, contact: string) => invoke<Prospect>('remove_contact', { id, contact }),
  setReview: (id: string, review: ReviewState, comment: string) =>
    invoke<Prospect>('set_review', { id, review, comment }),
  resolveConflict: (id: string, path: string, value: FieldValue) =>
    invoke<Prospect>('resolve_conflict', { id, path, value }),
  questionnaires: () => invoke<Questionnaire[]>('questionnaires'),
  questionnaire: (id: string, version: number) => invoke<Questionnaire>('questionnaire', { id, version }),
  visitDrafts: (prospect: string) => invoke<VisitDraft[]>('visit_drafts', { prospect }),
  saveVisitDraft: (prospect: string, form: VisitForm) => invoke<Visit>('save_visit_draft', { prospect, form }),
  discardVisitDraft: (visit: string) => invoke<boolean>('discard_visit_draft', { visit }),
  recordVisit: (prospect: string, form: VisitForm) => invoke<VisitOutcome>('record_visit', { prospect, form }),
  storePhoto: (bytes: Uint8Array, mime: string) =>
    invoke<PhotoAnswer>('store_photo', bytes, { headers: { 'census-photo-type': mime } }),
  photo: (sha256: string, thumbnail: boolean) => invoke<ArrayBuffer>('photo', { sha256, thumbnail }),
  removePhoto: (id: string, sha256: string) => invoke<Prospect>('remove_photo', { id, sha256 }),
  pictureCache: () => invoke<PictureCache>('picture_cache'),
  setPictureCacheLimit: (bytes: number) => invoke<PictureCache>('set_picture_cache_limit', { bytes }),
  downloadPictures: (territory: string | null) => invoke<PictureDownload>('download_pictures', { territory }),
  downloadMapPacks: () => invoke<MapPackDownload>('download_map_packs'),
  loadImport: (bytes: Uint8Array, name: string) =>
    invoke<ImportFile>('load_import', bytes, { headers: { 'census-file-name': encodeURIComponent(name) } }),
  previewImport: (options: ImportOptions) => invoke<ImportPreview>('preview_import', { options }),
  applyImport: (options: ImportOptions) => invoke<ImportPreview>('apply_import', { options }),
  importMappings: () => invoke<SavedMapping[]>('import_mappings'),
  saveImportMapping: (name: string, mapping: ColumnMapping) =>
    invoke<SavedMapping>('save_import_mapping', { name, mapping }),
  importMappingFor: (name: string) => invoke<ColumnMapping>('import_mapping_for', { name }),
  deleteImportMapping: (name: string) => invoke<null>('delete_import_mapping', { name }),
  stopJob: (job: Job) => invoke<boolean>('stop_job', { job }),
};

/** The `{kind, message, russian}` of a failed command, whatever was thrown. */
export function asAppError(e: unknown): AppError {
  if (typeof e === 'object' && e !== null && 'kind' in e && 'message' in e && 'russian' in e) {
    return e as AppError;
  }
  // Not the app's answer (the window's own call failed): said in general words in Russian.
  return { kind: 'server', message: String(e), russian: 'приложение не смогло выполнить запрос' };
}
