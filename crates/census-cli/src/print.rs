//! What `census` prints: readable text for people, or one JSON value for scripts (`--json`).

use std::collections::BTreeMap;
use std::path::Path;

use census_core::{
    ColumnMapping, Conflict, DeviceId, Person, Prospect, ProspectId, Questionnaire, Territory, Timestamp, UserId, Visit,
};
use census_replica::{
    ImportPreview, OutboxEntry, PictureOnDevice, ProspectDetail, ProspectRow, RefusedChange, RowOutcome, SyncProgress,
    SyncReport, VisitDraft, VisitOutcome,
};
use serde_json::json;

/// Prints a line to standard output; when the reader has gone (`census list | head`), stops
/// quietly instead of failing.
macro_rules! say {
    ($($arg:tt)*) => {
        print_line(format_args!($($arg)*))
    };
}

fn print_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if writeln!(std::io::stdout().lock(), "{line}").is_err() {
        std::process::exit(0);
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    pub(crate) json: bool,
}

fn when(t: Timestamp) -> String {
    format!("{} UTC", t.to_utc_string())
}

fn who(names: &BTreeMap<UserId, String>, user: Option<UserId>) -> String {
    match user {
        Some(u) => names.get(&u).cloned().unwrap_or_else(|| u.to_string()),
        None => "someone unknown".into(),
    }
}

fn device(d: Option<DeviceId>) -> String {
    d.map_or_else(|| "an unknown device".into(), |d| format!("device {d}"))
}

impl Output {
    fn emit(&self, value: serde_json::Value) {
        say!("{value}");
    }

    pub(crate) fn created_replica(&self, path: &Path, device: DeviceId) {
        if self.json {
            return self.emit(json!({ "replica": path, "device": device }));
        }
        say!("Created the replica {} for device {device}.", path.display());
        say!("No one is signed in yet: sign in with `census login` (once, with a network) before editing.");
    }

    pub(crate) fn prospect_saved(&self, p: &Prospect) {
        if self.json {
            return self.emit(json!(p));
        }
        say!("Saved {} — {} ({})", p.id, p.name, p.status);
    }

    pub(crate) fn draft_saved(&self, visit: &Visit) {
        if self.json {
            return self.emit(json!({ "draft": visit.id }));
        }
        say!("Kept visit {} as a draft; record it with --visit-id {}.", visit.id, visit.id);
    }

    pub(crate) fn visit_outcome(&self, visit: &Visit, outcome: &VisitOutcome) {
        if self.json {
            return self.emit(json!({ "visit": visit.id, "result": outcome }));
        }
        match outcome {
            VisitOutcome::Recorded { prospect } => {
                say!("Recorded visit {} to {} ({} visits now).", visit.id, prospect.name, prospect.visits.len())
            }
            // Problems go to standard error, like every failure (the exit status says it too).
            VisitOutcome::Invalid { problems } => {
                eprintln!("census: the visit was not saved; fix these answers:");
                for problem in problems {
                    eprintln!("  {}: {}", problem.question, problem.message.en);
                }
            }
        }
    }

    pub(crate) fn drafts(&self, drafts: &[VisitDraft]) {
        if self.json {
            return self.emit(json!(drafts));
        }
        if drafts.is_empty() {
            say!("No visit drafts.");
        }
        for d in drafts {
            say!(
                "{}  prospect {}  saved {}  {} answers",
                d.visit.id,
                d.prospect,
                when(d.saved_at),
                d.visit.answers.len()
            );
        }
    }

    pub(crate) fn rows(&self, rows: &[ProspectRow]) {
        if self.json {
            return self.emit(json!(rows));
        }
        if rows.is_empty() {
            say!("No prospects.");
        }
        for r in rows {
            let flag = if r.has_conflicts { "  [conflict]" } else { "" };
            say!("{}  {:<30}  {:<10}  {}{flag}", r.id, r.name, r.status.as_str(), r.address);
        }
    }

    pub(crate) fn nearby(&self, found: &[(ProspectRow, f64)]) {
        if self.json {
            let items: Vec<_> = found.iter().map(|(row, m)| json!({ "prospect": row, "distance_m": m })).collect();
            return self.emit(json!(items));
        }
        if found.is_empty() {
            say!("No prospects nearby.");
        }
        for (r, metres) in found {
            say!("{:>7.0} m  {}  {}  {}", metres, r.id, r.name, r.address);
        }
    }

    pub(crate) fn detail(&self, d: &ProspectDetail, history: bool, names: &BTreeMap<UserId, String>) {
        if self.json {
            return self.emit(json!(d));
        }
        let p = &d.prospect;
        say!("{}  {}", p.name, p.id);
        say!("  status     {}", p.status);
        say!("  category   {}", p.category);
        say!("  territory  {}", p.territory);
        say!("  address    {}", p.address.one_line());
        if let Some(l) = p.location {
            say!("  position   {:.6}, {:.6}", l.lat, l.lon);
        }
        if !p.tags.is_empty() {
            say!("  tags       {}", p.tags.iter().cloned().collect::<Vec<_>>().join(", "));
        }
        if !p.notes.is_empty() {
            say!("  notes      {}", p.notes);
        }
        if p.deleted {
            say!("  (deleted)");
        }
        if let Some(survivor) = p.merged_into {
            say!("  (merged into {survivor})");
        }
        say!("  created    {} by {}", when(p.created.at), who(names, Some(p.created.by)));
        for (id, c) in &p.contacts {
            say!("  contact    {} ({}) {} {}  [{id}]", c.name, c.role, c.phone, c.email);
        }
        for v in p.visits.values() {
            say!(
                "  visit      {} by {}: {} answers {}",
                when(v.at),
                who(names, Some(v.agent)),
                v.answers.len(),
                v.outcome
            );
            for (question, answer) in &v.answers {
                say!("               {question} = {}", answer.texts().join(", "));
            }
        }
        if !d.conflicts.is_empty() {
            say!("  {} field(s) in conflict: see `census conflicts {}`", d.conflicts.len(), p.id);
        }
        if history {
            say!("  history:");
            for e in &d.history {
                let value = e.value.as_ref().map(|v| format!(" = \"{v}\"")).unwrap_or_default();
                let source = e.source.as_ref().map(|s| format!(" ({s})")).unwrap_or_default();
                say!(
                    "    {}  {}{value}  by {} on {}{source}",
                    when(e.at),
                    e.path,
                    who(names, e.user),
                    device(e.device)
                );
            }
        }
    }

    pub(crate) fn conflicts(&self, found: &[(ProspectId, String, Vec<Conflict>)], names: &BTreeMap<UserId, String>) {
        if self.json {
            let items: Vec<_> = found
                .iter()
                .map(|(id, name, conflicts)| json!({ "prospect": id, "name": name, "conflicts": conflicts }))
                .collect();
            return self.emit(json!(items));
        }
        if found.iter().all(|(_, _, c)| c.is_empty()) {
            say!("No conflicts.");
        }
        for (id, name, conflicts) in found {
            for conflict in conflicts {
                say!("{name}  {id}  {}:", conflict.path);
                for (n, v) in conflict.values.iter().enumerate() {
                    let source = v.source.as_ref().map(|s| format!(" ({s})")).unwrap_or_default();
                    say!(
                        "  {}. {}  set {} by {} on {}{source}",
                        n + 1,
                        v.value,
                        when(v.at),
                        who(names, v.user),
                        device(v.device)
                    );
                }
            }
        }
    }

    pub(crate) fn exported(&self, count: u64) {
        if self.json {
            return self.emit(json!({ "exported": count }));
        }
        say!("Exported {count} prospects.");
    }

    pub(crate) fn imported(&self, headers: &[String], mapping: &ColumnMapping, preview: &ImportPreview, applied: bool) {
        if self.json {
            return self.emit(json!({ "applied": applied, "mapping": mapping, "preview": preview }));
        }
        for (column, (header, field)) in headers.iter().zip(&mapping.columns).enumerate() {
            let field = match (field, mapping.question(column)) {
                (_, Some(question)) => format!("answer to \"{question}\""),
                (Some(field), None) => census_core::import::field_name(*field).en,
                (None, None) => "(not imported)".to_owned(),
            };
            say!("  {header:<24} -> {field}");
        }
        say!(
            "{} new, {} updated, {} unchanged, {} likely duplicates, {} invalid",
            preview.new,
            preview.updated,
            preview.unchanged,
            preview.likely_duplicates,
            preview.invalid
        );
        for row in &preview.rows {
            match &row.outcome {
                RowOutcome::Invalid { problems } => {
                    let problems: Vec<&str> = problems.iter().map(|p| p.en.as_str()).collect();
                    say!("  line {}: {}", row.line, problems.join("; "));
                }
                RowOutcome::Updated { changes, .. } | RowOutcome::LikelyDuplicate { changes, .. } => {
                    for change in changes {
                        let field = match &change.question {
                            Some(question) => format!("answer to \"{question}\""),
                            None => census_core::import::field_name(change.field).en,
                        };
                        say!("  line {} {}: {field}: \"{}\" -> \"{}\"", row.line, row.name, change.from, change.to);
                    }
                }
                RowOutcome::New | RowOutcome::Unchanged { .. } => {}
            }
        }
        say!("{}", if applied { "Applied." } else { "Nothing written; add --apply to import." });
    }

    pub(crate) fn directory(&self, people: &[Person], territories: &[Territory], questionnaires: &[Questionnaire]) {
        if self.json {
            return self
                .emit(json!({ "people": people, "territories": territories, "questionnaires": questionnaires }));
        }
        say!("{} people, {} territories, {} questionnaires", people.len(), territories.len(), questionnaires.len());
        for t in territories {
            say!("  territory      {}  {}", t.id, t.name);
        }
        for q in questionnaires {
            say!("  questionnaire  {}  v{}  {}", q.id, q.version, q.title.en);
        }
        for p in people {
            say!("  {:<13}  {}  {}", p.role.as_str(), p.id, p.name);
        }
    }

    pub(crate) fn outbox(&self, entries: &[OutboxEntry], refused: &[RefusedChange]) {
        if self.json {
            return self.emit(json!({ "waiting": entries, "refused": refused }));
        }
        say!("{} change(s) waiting to be pushed.", entries.len());
        for e in entries {
            say!("  {}  prospect {}  {} bytes", e.hash, e.prospect, e.bytes.len());
        }
        self.refused(refused);
    }

    pub(crate) fn pictures(&self, pictures: &[PictureOnDevice]) {
        if self.json {
            return self.emit(json!({ "pictures": pictures }));
        }
        let pending: Vec<&PictureOnDevice> = pictures.iter().filter(|p| p.pending).collect();
        let bytes: u64 = pending.iter().map(|p| p.bytes).sum();
        say!(
            "{} picture(s) waiting to be uploaded ({bytes} bytes); {} in all on this device.",
            pending.len(),
            pictures.len()
        );
        for p in pictures {
            let state = if p.pending { "pending " } else { "uploaded" };
            say!("  {state}  {}  {}  {} bytes", p.sha256, p.mime, p.bytes);
        }
    }

    pub(crate) fn picture_written(&self, sha256: &str, bytes: usize, file: &std::path::Path) {
        if self.json {
            return self.emit(json!({ "sha256": sha256, "bytes": bytes, "file": file }));
        }
        say!("Wrote picture {sha256} ({bytes} bytes) to {}.", file.display());
    }

    fn refused(&self, refused: &[RefusedChange]) {
        if !refused.is_empty() {
            say!("{} change(s) refused by the server, kept on this device:", refused.len());
        }
        for r in refused {
            say!("  prospect {}: {} ({})", r.prospect, r.message, r.code);
        }
    }

    pub(crate) fn signed_in(&self, person: &Person, server: &str) {
        if self.json {
            return self.emit(json!({ "user": person, "server": server }));
        }
        say!("Signed in to {server} as {} ({}).", person.name, person.role.as_str());
    }

    pub(crate) fn progress(&self, progress: &SyncProgress) {
        if self.json {
            return;
        }
        match progress {
            SyncProgress::Directory => eprintln!("sync: directory"),
            SyncProgress::Push { done, total } => eprintln!("sync: pushed {done} of {total}"),
            SyncProgress::Bootstrap { scope, received, total } => {
                eprintln!("sync: territory {scope}: {received} of {total} prospects received whole")
            }
            SyncProgress::Pull { scope, received, total } => {
                eprintln!("sync: territory {scope}: {received} of {total} received")
            }
            SyncProgress::Retry { attempt, attempts, reason } => {
                eprintln!("sync: try {attempt} of {attempts} failed: {reason}; trying again")
            }
            SyncProgress::Pictures { done, total } => eprintln!("sync: pictures: {done} of {total} uploaded"),
        }
    }

    pub(crate) fn synced(&self, report: &SyncReport, refused: &[RefusedChange]) {
        if self.json {
            return self.emit(json!({ "report": report, "refused": refused }));
        }
        say!(
            "Synced: {} pushed, {} prospects received whole, {} changes received, {} prospects updated, {} left this device.",
            report.pushed,
            report.bootstrapped,
            report.pulled,
            report.updated,
            report.removed
        );
        if report.pictures_uploaded + report.pictures_pending > 0 {
            say!(
                "Pictures: {} uploaded ({} bytes sent), {} still to upload.",
                report.pictures_uploaded,
                report.picture_bytes_sent,
                report.pictures_pending
            );
        }
        self.refused(refused);
    }
}
