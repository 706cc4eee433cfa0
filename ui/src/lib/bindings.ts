// Generated from the Rust types by src-tauri/src/bindings.rs; do not edit.
// CENSUS_WRITE_BINDINGS=1 cargo test -p census-app bindings

export type ProspectId = string;

export type UserId = string;

export type DeviceId = string;

export type TerritoryId = string;

export type VisitId = string;

export type ContactId = string;

export type QuestionnaireId = string;

export type QuestionId = string;

export type Timestamp = number;

export type Language = "ru" | "en";

export type Localized = { ru: string, en: string, };

export type Person = { id: UserId, 
/**
 * The name shown in history and conflicts, e.g. "Анна Смирнова".
 */
name: string, login: string, role: Role, 
/**
 * Retired people keep their history but can no longer sign in.
 */
retired: boolean, };

export type Role = "agent" | "manager" | "admin";

export type Territory = { id: TerritoryId, name: string, 
/**
 * How many prospects the survey is expected to find, for coverage.
 */
planned_prospects: number | null, 
/**
 * The agents assigned to it.
 */
agents: Array<UserId>, 
/**
 * Its outline on the map, as `[latitude, longitude]` corners in order; empty when not
 * drawn.
 */
boundary: Array<[number, number]>, };

export type DeviceRecord = { id: DeviceId, user: UserId, login: string, name: string, signed_in_at: Timestamp, last_seen_at: Timestamp | null, revoked: boolean, };

export type Retired = { person: Person, 
/**
 * The territories handed to the successor.
 */
handed_over: Array<TerritoryId>, };

export type AuditKind = "signed_in" | "sign_in_failed" | "sign_ins_throttled" | "device_revoked" | "device_reinstated" | "person_added" | "person_retired" | "password_changed" | "role_changed" | "push_refused" | "events_dropped";

export type AuditEntry = { at: Timestamp, kind: AuditKind, 
/**
 * The person it concerns: who signed in or pushed, whose device was revoked, who was added.
 */
user: UserId | null, 
/**
 * Their login, or the login typed in a failed sign-in (which may name nobody).
 */
login: string | null, device: DeviceId | null, 
/**
 * Who did it, for actions on someone else (a revocation, a retirement).
 */
by: UserId | null, 
/**
 * The client's address, for sign-ins.
 */
address: string | null, 
/**
 * How many events this entry stands for (throttled sign-ins are counted, not listed).
 */
count: number, 
/**
 * What happened, in plain words.
 */
detail: string, };

export type AuditFilter = { kind?: AuditKind | null, 
/**
 * Entries about this login, or by or about its person.
 */
login?: string | null, device?: DeviceId | null, 
/**
 * Entries at or after this moment.
 */
since?: Timestamp | null, 
/**
 * At most this many (the server lists at most 1,000; 0 means 100).
 */
limit: number, };

export type LateArrival = { prospect: ProspectId, 
/**
 * The territory the prospect is in now.
 */
territory: TerritoryId, user: UserId, device: DeviceId, 
/**
 * How many changes arrived.
 */
changes: number, 
/**
 * When the person stopped being allowed to write it.
 */
lost_at: Timestamp, arrived_at: Timestamp, };

export type Status = "new" | "visited" | "interested" | "negotiating" | "client" | "refused" | "closed" | "not_found";

export type ReviewState = "pending" | "approved" | "flagged";

export type Address = { line: string, city: string, region: string, postcode: string, country: string, };

export type Location = { lat: number, lon: number, 
/**
 * How far the true position may be from this one, in metres, when the device said.
 */
accuracy_m: number | null, 
/**
 * When the position was captured.
 */
at: Timestamp, };

export type Contact = { name: string, role: string, phone: string, email: string, };

export type ContactPatch = { name: string | null, role: string | null, phone: string | null, email: string | null, };

export type QuestionnaireRef = { id: QuestionnaireId, version: number, };

export type Visit = { id: VisitId, at: Timestamp, agent: UserId, questionnaire: QuestionnaireRef, answers: { [key in QuestionId]?: Answer }, location: Location | null, 
/**
 * What came of the visit in the agent's words, e.g. "owner away, call back Monday".
 */
outcome: string, };

export type Photo = { 
/**
 * Lower-case hex SHA-256 of the image bytes.
 */
sha256: string, mime: string, bytes: number, taken_at: Timestamp, caption: string, };

export type Review = { state: ReviewState, by: UserId, at: Timestamp, comment: string, 
/**
 * The document heads (hex change hashes) at approval, so the review queue can show what
 * changed since.
 */
approved_heads: Array<string>, };

export type Created = { at: Timestamp, by: UserId, };

export type NewProspect = { territory: TerritoryId, name: string, category: string, status: Status, address: Address, location: Location | null, };

export type Prospect = { id: ProspectId, territory: TerritoryId, name: string, category: string, status: Status, address: Address, location: Location | null, contacts: { [key in ContactId]?: Contact }, tags: Array<string>, notes: string, visits: { [key in VisitId]?: Visit }, photos: { [key in string]?: Photo }, review: Review | null, merged_into: ProspectId | null, 
/**
 * Prospects a manager has judged not to be duplicates of this one.
 */
distinct_from: Array<ProspectId>, deleted: boolean, created: Created, };

export type ProspectRow = { id: ProspectId, territory: string, name: string, category: string, status: Status, review_state: ReviewState | null, has_conflicts: boolean, merged_into: string | null, deleted: boolean, address: string, phones: string, lat: number | null, lon: number | null, visits: number, last_visit_at: Timestamp | null, created_at: Timestamp, updated_at: Timestamp, 
/**
 * In the manager's review queue: never approved, or changed since the approval.
 */
awaiting_review: boolean, };

export type FieldPath = string;

export type FieldValue = { "type": "text", "value": string } | { "type": "flag", "value": boolean } | { "type": "location", "value": Location } | { "type": "review", "value": Review } | { "type": "missing" };

export type ConflictValue = { value: FieldValue, 
/**
 * The device that set it (its Automerge actor), when the actor is a Census device.
 */
device: DeviceId | null, 
/**
 * The Automerge actor id in hex, for devices unknown to the directory.
 */
actor: string, user: UserId | null, source: string | null, at: Timestamp, };

export type Conflict = { path: FieldPath, 
/**
 * Every distinct value, in the same order on every device.
 */
values: Array<ConflictValue>, };

export type FieldEdit = { 
/**
 * The field, at the level people think of: `name`, `address/city`, `contacts/<id>/phone`,
 * `visits/<id>` (a whole visit), `notes`, `location`.
 */
path: FieldPath, 
/**
 * The value written, for plain fields (none for removals, text edits and whole records).
 */
value: string | null, at: Timestamp, user: UserId | null, device: DeviceId | null, 
/**
 * Where the edit came from when not typed on a device, e.g. an import.
 */
source: string | null, 
/**
 * The change's hash (hex), shared by every field it touched.
 */
change: string, };

export type Questionnaire = { id: QuestionnaireId, version: number, title: Localized, questions: Array<Question>, };

export type QuestionType = "text" | "integer" | "decimal" | "select_one" | "select_many" | "date" | "geopoint" | "phone" | "email" | "photo";

export type Question = { id: QuestionId, label: Localized, type: QuestionType, hint: Localized | null, required: boolean, min: number | null, max: number | null, min_date: string | null, max_date: string | null, pattern: string | null, 
/**
 * The options of `select_one` and `select_many` questions.
 */
choices: Array<Choice>, 
/**
 * Show (and accept) the question only when this holds of earlier answers.
 */
relevant: Condition | null, };

export type Choice = { value: string, label: Localized, };

export type Condition = { "answer": { question: QuestionId, matches: Match, } } | { "all": Array<Condition> } | { "any": Array<Condition> };

export type Match = "answered" | "not_answered" | { "equals": string } | { "one_of": Array<string> } | { "at_least": number } | { "at_most": number };

export type GeoPoint = { lat: number, lon: number, accuracy_m: number | null, };

export type PhotoAnswer = { 
/**
 * Lower-case hex SHA-256 of the image bytes.
 */
sha256: string, mime: string, };

export type Answer = { "type": "text", "value": string } | { "type": "integer", "value": number } | { "type": "decimal", "value": number } | { "type": "select_one", "value": string } | { "type": "select_many", "value": Array<string> } | { "type": "date", "value": string } | { "type": "geopoint", "value": GeoPoint } | { "type": "phone", "value": string } | { "type": "email", "value": string } | { "type": "photo", "value": PhotoAnswer };

export type ProblemKind = "required" | "wrong_type" | "too_small" | "too_large" | "too_short" | "too_long" | "pattern_mismatch" | "unknown_choice" | "repeated_choice" | "invalid_date" | "invalid_geopoint" | "invalid_phone" | "invalid_email" | "invalid_photo" | "invalid_number" | "not_relevant" | "unknown_question";

export type Problem = { question: QuestionId, kind: ProblemKind, message: Localized, };

export type ListFilter = { territory: TerritoryId | null, status: Status | null, category: string | null, review_state: ReviewState | null, has_conflicts: boolean | null, 
/**
 * Only prospects changed at or after this time (Unix milliseconds).
 */
updated_since: number | null, 
/**
 * Only prospects in (or out of) the manager's review queue.
 */
awaiting_review: boolean | null, 
/**
 * Include prospects that were deleted or merged into another.
 */
include_hidden: boolean, sort: SortBy, limit: number, offset: number, };

export type SortBy = "name" | "recently_updated" | "status";

export type TerritoryProgress = { 
/**
 * The territory's id, as in [`ProspectRow::territory`].
 */
territory: string, 
/**
 * Prospects not deleted or merged away.
 */
prospects: number, 
/**
 * Prospects with at least one census visit.
 */
surveyed: number, 
/**
 * Prospects whose last visit was at or after the time asked about.
 */
visited_since: number, };

export type ProspectDetail = { prospect: Prospect, conflicts: Array<Conflict>, 
/**
 * Every change of every field, oldest first.
 */
history: Array<FieldEdit>, 
/**
 * What changed since the manager's approval (none: not approved), for the review queue.
 */
changed_since_approval: Array<FieldEdit> | null, };

export type VisitOutcome = { "outcome": "recorded", prospect: Prospect, } | { "outcome": "invalid", problems: Array<Problem>, };

export type VisitDraft = { prospect: ProspectId, saved_at: Timestamp, visit: Visit, };

export type SyncProgress = { "phase": "directory" } | { "phase": "push", done: number, total: number, } | { "phase": "bootstrap", scope: TerritoryId, received: number, total: number, } | { "phase": "pull", scope: TerritoryId, received: number, total: number, } | { "phase": "retry", attempt: number, attempts: number, reason: string, } | { "phase": "pictures", done: number, total: number, };

export type SyncReport = { pushed: number, 
/**
 * Changes the server refused in this sync; kept on the device, see [`Replica::refused_changes`].
 */
refused: number, pulled: number, 
/**
 * Prospects received whole, as snapshots, for territories new to this device.
 */
bootstrapped: number, 
/**
 * Prospects that changed on this device.
 */
updated: number, 
/**
 * Prospects that left this device because their territory is no longer the person's.
 */
removed: number, 
/**
 * Prospects whose received changes could not be applied here; kept aside with the reason
 * (see [`Replica::set_aside_changes`]) instead of stopping the sync.
 */
set_aside: number, 
/**
 * Compressed change bytes sent and received (frames only, without HTTP headers).
 */
bytes_sent: number, bytes_received: number, 
/**
 * Pictures the server now has whole, and picture bytes sent.
 */
pictures_uploaded: number, picture_bytes_sent: number, 
/**
 * Pictures still to upload (a connection failed while they went: the next sync goes on).
 */
pictures_pending: number, 
/**
 * Thumbnails of the territories' pictures received.
 */
thumbnails_fetched: number, };

export type RefusedChange = { prospect: ProspectId, territory: TerritoryId, code: string, message: string, 
/**
 * Why, in Russian (from the code: the server's message is in English).
 */
russian: string, refused_at: Timestamp, };

export type DashboardFilter = { territory: TerritoryId | null, agent: UserId | null, 
/**
 * Visits at or after this moment.
 */
from: Timestamp | null, 
/**
 * Visits before this moment.
 */
until: Timestamp | null, };

export type Tally = { key: string, count: number, };

export type Coverage = { territory: string, prospects: number, 
/**
 * Prospects with at least one visit.
 */
surveyed: number, 
/**
 * Prospects visited in the period (all visited ones when there is no period).
 */
visited_in_period: number, };

export type AgentDay = { agent: UserId, 
/**
 * `YYYY-MM-DD`.
 */
day: string, visits: number, };

export type Dashboard = { 
/**
 * Every status, in the funnel's order, zeros included.
 */
by_status: Array<Tally>, 
/**
 * Categories, the largest first.
 */
by_category: Array<Tally>, coverage: Array<Coverage>, 
/**
 * Oldest day first, then by agent.
 */
visits_per_day: Array<AgentDay>, };

export type DuplicateCandidate = { row: ProspectRow, score: number, reasons: Array<Localized>, };

export type DuplicatePair = { first: ProspectRow, second: ProspectRow, score: number, reasons: Array<Localized>, };

export type DuplicatePairs = { total: number, pairs: Array<DuplicatePair>, };

export type MergeSummary = { visits: number, contacts: number, photos: number, tags: number, notes: boolean, 
/**
 * Empty fields of the survivor filled from the duplicate.
 */
fields: number, };

export type ImportField = "census_id" | "name" | "category" | "status" | "territory" | "address" | "address_line" | "city" | "region" | "postcode" | "country" | "lat" | "lon" | "contact_name" | "contact_role" | "phone" | "email" | "tags" | "notes" | "answer";

export type ColumnMapping = { columns: Array<ImportField | null>, 
/**
 * For each column mapped to [`ImportField::Answer`], the question it answers.
 */
questions: Array<QuestionId | null>, };

export type SavedMapping = { name: string, columns: Array<SavedColumn>, };

export type SavedColumn = { header: string, field: ImportField | null, 
/**
 * The question an answer column answers.
 */
question: QuestionId | null, };

export type FieldChange = { field: ImportField, 
/**
 * The question, for a changed answer.
 */
question: QuestionId | null, from: string, to: string, };

export type ImportOptions = { mapping: ColumnMapping, 
/**
 * The questionnaire the answer columns answer (needed when the mapping has any).
 */
questionnaire: QuestionnaireRef | null, 
/**
 * A row without a Census id is taken for an existing prospect when the duplicate scoring
 * of the two reaches this (0 to 1).
 */
threshold: number, 
/**
 * Where new prospects go when a row names no territory.
 */
default_territory: TerritoryId | null, };

export type RowOutcome = { "outcome": "new" } | { "outcome": "updated", prospect: ProspectId, changes: Array<FieldChange>, } | { "outcome": "unchanged", prospect: ProspectId, } | { "outcome": "likely_duplicate", prospect: ProspectId, score: number, changes: Array<FieldChange>, } | { "outcome": "invalid", problems: Array<Localized>, };

export type RowPreview = { line: number, name: string, } & ({ "outcome": "new" } | { "outcome": "updated", prospect: ProspectId, changes: Array<FieldChange>, } | { "outcome": "unchanged", prospect: ProspectId, } | { "outcome": "likely_duplicate", prospect: ProspectId, score: number, changes: Array<FieldChange>, } | { "outcome": "invalid", problems: Array<Localized>, });

export type ImportPreview = { new: number, updated: number, unchanged: number, likely_duplicates: number, invalid: number, rows: Array<RowPreview>, };

export type PictureCache = { limit_bytes: number, 
/**
 * Originals kept here, and their bytes.
 */
kept: number, kept_bytes: number, 
/**
 * Of those, the bytes that may not go: the server does not have them yet.
 */
pinned_bytes: number, };

export type PictureDownload = { 
/**
 * Downloaded now, and their bytes.
 */
fetched: number, bytes: number, 
/**
 * On this device already.
 */
already_here: number, 
/**
 * Left on the server: the cap has no room for them.
 */
left_out: number, };

export type MapPackDownload = { 
/**
 * Packs downloaded (wholly or the rest of one cut off before).
 */
fetched: number, 
/**
 * Bytes received this time.
 */
bytes: number, 
/**
 * Packs already here whole.
 */
up_to_date: number, 
/**
 * Packs removed: replaced on the server, or no longer covering this device's territories.
 */
removed: number, };

export type MapSummary = { count: number, extent: [number, number, number, number] | null, };

export type Nearby = { id: ProspectId, name: string, status: Status, distance_m: number, };

export type Session = { device: string, server: string | null, user: Person | null, role: Role | null, };

export type SyncStatus = { 
/**
 * Changes made on this device that the server does not have yet.
 */
pending: number, last_sync: Timestamp | null, 
/**
 * Pictures waiting to be uploaded, and their bytes.
 */
pictures_pending: number, picture_bytes_pending: number, };

export type SyncFinished = { "outcome": "synced", report: SyncReport, background: boolean, } | { "outcome": "failed", error: AppError, background: boolean, };

export type MapPacksFinished = { "outcome": "downloaded", download: MapPackDownload, } | { "outcome": "failed", error: AppError, };

export type AppError = { kind: ErrorKind, message: string, 
/**
 * The same clause in Russian, always there.
 */
russian: string, };

export type ErrorKind = "signed_out" | "offline" | "wrong_password" | "too_many_attempts" | "revoked" | "plain_http" | "untrusted" | "server" | "invalid" | "storage" | "stopped";

export type VisitForm = { id: VisitId | null, questionnaire: QuestionnaireRef, answers: { [key in QuestionId]?: Answer }, location: Location | null, outcome: string, };

export type ExportFormat = "csv" | "xlsx" | "geojson";

export type Exported = { path: string, prospects: number, };

export type ImportFile = { name: string, headers: Array<string>, rows: number, sample: Array<Array<string>>, mapping: ColumnMapping, saved_mapping: string | null, 
/**
 * The fields the headers suggest, whatever was saved.
 */
guessed: ColumnMapping, 
/**
 * The questionnaire whose questions the headers name, for answer columns.
 */
questionnaire: QuestionnaireRef | null, };

export type Job = "import_preview" | "import_apply" | "export" | "duplicate_search" | "sync" | "picture_download" | "map_pack_download";

export type JobProgress = { job: Job, done: number, total: number, };
