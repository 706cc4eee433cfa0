// Typed calls to the app's Rust commands.
import { invoke } from '@tauri-apps/api/core';
import type {
  AppError,
  ListFilter,
  NewProspect,
  Person,
  Prospect,
  ProspectDetail,
  ProspectRow,
  Session,
  SyncReport,
  SyncStatus,
  Territory,
} from './types';

export const api = {
  session: () => invoke<Session>('session'),
  signIn: (server: string, login: string, password: string) =>
    invoke<Person>('sign_in', { server, login, password }),
  syncNow: () => invoke<SyncReport>('sync_now'),
  syncStatus: () => invoke<SyncStatus>('sync_status'),
  listProspects: (filter: ListFilter) => invoke<ProspectRow[]>('list_prospects', { filter }),
  searchProspects: (query: string, limit: number) =>
    invoke<ProspectRow[]>('search_prospects', { query, limit }),
  prospect: (id: string) => invoke<ProspectDetail>('prospect', { id }),
  territories: () => invoke<Territory[]>('territories'),
  createProspect: (prospect: NewProspect) => invoke<Prospect>('create_prospect', { new: prospect }),
};

/** The `{kind, message}` of a failed command, whatever was thrown. */
export function asAppError(e: unknown): AppError {
  if (typeof e === 'object' && e !== null && 'kind' in e && 'message' in e) {
    return e as AppError;
  }
  return { kind: 'server', message: String(e) };
}
