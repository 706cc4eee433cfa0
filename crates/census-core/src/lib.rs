//! # census-core: the domain of Census, without IO
//!
//! Census records the prospects of a sales territory, on devices that are offline most of the
//! time, and merges every device's work into one shared client base. This crate is the part of
//! Census that every other part shares (the app, the `census` command line, the sync server and
//! the tests), and it does no IO: no files, no network, no clock, no randomness. Time, ids and
//! random bits come in as arguments; what should happen comes back as data.
//!
//! ## The story of a prospect
//!
//! 1. An agent meets a shop. The app mints a [`ProspectId`] and calls [`ProspectDoc::create`],
//!    which returns the new Automerge document and its first change as bytes ([`LocalChange`]).
//!    The device's replica stores both and queues the change for the server.
//! 2. Every later edit goes through [`ProspectDoc::edit`]: a closure gets a [`ProspectEditor`]
//!    with typed edits (name, status, address, contacts, tags, notes, visits, review, merge,
//!    delete) and the whole closure becomes one change, stamped with the user, the moment and
//!    the device (its [`DeviceId`] is its Automerge actor).
//! 3. A census visit is checked first: [`validate_answers`] compares the answers with the
//!    [`Questionnaire`] version and returns [`Problem`]s, in Russian and English, as data.
//! 4. Changes travel in the [`wire`] format: a [`wire::PushBatch`] up, a [`wire::PushResult`]
//!    back, [`wire::PullPage`]s down. Decoding never panics and rejects damaged bodies. A fresh
//!    device starts from [`wire::BootstrapPage`]s instead: compacted documents with their
//!    [`Projection`]s (the rows lists read), so it need not replay every change.
//! 5. Another device applies the changes with [`ProspectDoc::apply_changes`], in any order and
//!    any number of times. If two people set the same field while apart, both values are kept and
//!    [`ProspectDoc::conflicts`] lists them until someone picks one
//!    ([`ProspectEditor::resolve`]).
//! 6. A manager looks for the same shop entered twice: [`score_duplicate`] scores a pair of
//!    prospects and says why, and [`likely_pairs`] finds the likely pairs of a whole base.
//!    [`ProspectEditor::absorb`] merges one into the other (which is then
//!    [`ProspectEditor::mark_merged_into`] it); [`ProspectEditor::mark_distinct_from`] records
//!    that two look-alikes are different shops.
//!
//! [`ProspectDoc::read`] gives the typed view of a whole prospect ([`Prospect`]).

pub mod audit;
pub mod authority;
pub mod conflict;
pub mod directory;
mod doc_values;
pub mod duplicate_search;
pub mod duplicates;
mod error_russian;
pub mod history;
pub mod ids;
pub mod import;
pub mod late_work;
pub mod limits;
pub mod localized;
pub mod merge;
pub mod pictures;
pub mod projection;
pub mod prospect;
pub mod prospect_doc;
pub mod questionnaire;
pub mod server_identity;
pub mod sort_order;
pub mod time;
pub mod validation;
pub mod wire;

pub use audit::{AuditEntry, AuditFilter, AuditKind};
pub use authority::{Claims, ObjectRef, Pusher, Refusal, Region};
pub use automerge::ChangeHash;
pub use conflict::{Conflict, ConflictValue, FieldPath, FieldValue};
pub use directory::{DeviceRecord, Directory, NewPerson, Person, Retired, Retirement, Role, Territory};
pub use duplicate_search::{LikelyPair, MatchIndex, NEAR_ENOUGH_M, likely_pairs};
pub use duplicates::{DuplicateProbe, DuplicateReason, DuplicateScore, score_duplicate};
pub use history::FieldEdit;
pub use ids::{ContactId, DeviceId, ProspectId, QuestionId, QuestionnaireId, TerritoryId, UserId, VisitId};
pub use import::{ColumnMapping, FieldChange, ImportField, ImportRow, RowContext, SavedColumn, SavedMapping};
pub use late_work::LateArrival;
pub use limits::{Size, SizeError};
pub use localized::{Language, Localized};
pub use merge::MergeSummary;
pub use projection::{PROJECTION_VERSION, Projection, ProspectRow, VisitEntry};
pub use prospect::{
    Address, AddressPatch, Contact, ContactPatch, Created, Location, NewProspect, Photo, Prospect, QuestionnaireRef,
    Review, ReviewState, Status, Visit,
};
pub use prospect_doc::{
    ChangeInfo, ChangeOrigin, DocumentError, EditContext, LocalChange, ProspectDoc, ProspectEditor,
};
pub use questionnaire::{
    Answer, Choice, Condition, GeoPoint, Match, PhotoAnswer, Question, QuestionType, Questionnaire,
};
pub use server_identity::{ServerChange, ServerIdentity, server_change};
pub use sort_order::{compare_names, sort_key};
pub use time::Timestamp;
pub use validation::{Problem, ProblemKind, validate_answers};
