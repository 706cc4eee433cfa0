//! What `census` prints: readable text for people, or one JSON value for scripts (`--json`).

use std::collections::BTreeMap;
use std::path::Path;

use census_core::{
    Conflict, DeviceId, Person, Prospect, ProspectId, Questionnaire, Territory, Timestamp, UserId, Visit,
};
use census_replica::{
    OutboxEntry, ProspectDetail, ProspectRow, RefusedChange, SyncProgress, SyncReport, VisitDraft, VisitOutcome,
};
use serde_json::json;

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
        println!("{value}");
    }

    pub(crate) fn created_replica(&self, path: &Path, device: DeviceId, user: Option<UserId>) {
        if self.json {
            return self.emit(json!({ "replica": path, "device": device, "user": user }));
        }
        println!("Created the replica {} for device {device}.", path.display());
        if user.is_none() {
            println!("No one is signed in yet: edits need `census init --user <id>` on a new replica.");
        }
    }

    pub(crate) fn prospect_saved(&self, p: &Prospect) {
        if self.json {
            return self.emit(json!(p));
        }
        println!("Saved {} — {} ({})", p.id, p.name, p.status);
    }

    pub(crate) fn draft_saved(&self, visit: &Visit) {
        if self.json {
            return self.emit(json!({ "draft": visit.id }));
        }
        println!("Kept visit {} as a draft; record it with --visit-id {}.", visit.id, visit.id);
    }

    pub(crate) fn visit_outcome(&self, visit: &Visit, outcome: &VisitOutcome) {
        if self.json {
            return self.emit(json!({ "visit": visit.id, "result": outcome }));
        }
        match outcome {
            VisitOutcome::Recorded { prospect } => {
                println!("Recorded visit {} to {} ({} visits now).", visit.id, prospect.name, prospect.visits.len())
            }
            VisitOutcome::Invalid { problems } => {
                println!("The visit was not saved; fix these answers:");
                for problem in problems {
                    println!("  {}: {}", problem.question, problem.message.en);
                }
            }
        }
    }

    pub(crate) fn drafts(&self, drafts: &[VisitDraft]) {
        if self.json {
            return self.emit(json!(drafts));
        }
        if drafts.is_empty() {
            println!("No visit drafts.");
        }
        for d in drafts {
            println!(
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
            println!("No prospects.");
        }
        for r in rows {
            let flag = if r.has_conflicts { "  [conflict]" } else { "" };
            println!("{}  {:<30}  {:<10}  {}{flag}", r.id, r.name, r.status.as_str(), r.address);
        }
    }

    pub(crate) fn nearby(&self, found: &[(ProspectRow, f64)]) {
        if self.json {
            let items: Vec<_> = found.iter().map(|(row, m)| json!({ "prospect": row, "distance_m": m })).collect();
            return self.emit(json!(items));
        }
        if found.is_empty() {
            println!("No prospects nearby.");
        }
        for (r, metres) in found {
            println!("{:>7.0} m  {}  {}  {}", metres, r.id, r.name, r.address);
        }
    }

    pub(crate) fn detail(&self, d: &ProspectDetail, history: bool, names: &BTreeMap<UserId, String>) {
        if self.json {
            return self.emit(json!(d));
        }
        let p = &d.prospect;
        println!("{}  {}", p.name, p.id);
        println!("  status     {}", p.status);
        println!("  category   {}", p.category);
        println!("  territory  {}", p.territory);
        println!("  address    {}", p.address.one_line());
        if let Some(l) = p.location {
            println!("  position   {:.6}, {:.6}", l.lat, l.lon);
        }
        if !p.tags.is_empty() {
            println!("  tags       {}", p.tags.iter().cloned().collect::<Vec<_>>().join(", "));
        }
        if !p.notes.is_empty() {
            println!("  notes      {}", p.notes);
        }
        if p.deleted {
            println!("  (deleted)");
        }
        if let Some(survivor) = p.merged_into {
            println!("  (merged into {survivor})");
        }
        println!("  created    {} by {}", when(p.created.at), who(names, Some(p.created.by)));
        for (id, c) in &p.contacts {
            println!("  contact    {} ({}) {} {}  [{id}]", c.name, c.role, c.phone, c.email);
        }
        for v in p.visits.values() {
            println!(
                "  visit      {} by {}: {} answers {}",
                when(v.at),
                who(names, Some(v.agent)),
                v.answers.len(),
                v.outcome
            );
            for (question, answer) in &v.answers {
                println!("               {question} = {}", answer.texts().join(", "));
            }
        }
        if !d.conflicts.is_empty() {
            println!("  {} field(s) in conflict: see `census conflicts {}`", d.conflicts.len(), p.id);
        }
        if history {
            println!("  history:");
            for e in &d.history {
                let value = e.value.as_ref().map(|v| format!(" = \"{v}\"")).unwrap_or_default();
                let source = e.source.as_ref().map(|s| format!(" ({s})")).unwrap_or_default();
                println!(
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
            println!("No conflicts.");
        }
        for (id, name, conflicts) in found {
            for conflict in conflicts {
                println!("{name}  {id}  {}:", conflict.path);
                for (n, v) in conflict.values.iter().enumerate() {
                    let source = v.source.as_ref().map(|s| format!(" ({s})")).unwrap_or_default();
                    println!(
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
        println!("Exported {count} prospects.");
    }

    pub(crate) fn directory(&self, people: &[Person], territories: &[Territory], questionnaires: &[Questionnaire]) {
        if self.json {
            return self
                .emit(json!({ "people": people, "territories": territories, "questionnaires": questionnaires }));
        }
        println!("{} people, {} territories, {} questionnaires", people.len(), territories.len(), questionnaires.len());
        for t in territories {
            println!("  territory      {}  {}", t.id, t.name);
        }
        for q in questionnaires {
            println!("  questionnaire  {}  v{}  {}", q.id, q.version, q.title.en);
        }
        for p in people {
            println!("  {:<13}  {}  {}", p.role.as_str(), p.id, p.name);
        }
    }

    pub(crate) fn outbox(&self, entries: &[OutboxEntry], refused: &[RefusedChange]) {
        if self.json {
            return self.emit(json!({ "waiting": entries, "refused": refused }));
        }
        println!("{} change(s) waiting to be pushed.", entries.len());
        for e in entries {
            println!("  {}  prospect {}  {} bytes", e.hash, e.prospect, e.bytes.len());
        }
        self.refused(refused);
    }

    fn refused(&self, refused: &[RefusedChange]) {
        if !refused.is_empty() {
            println!("{} change(s) refused by the server, kept on this device:", refused.len());
        }
        for r in refused {
            println!("  prospect {}: {} ({})", r.prospect, r.message, r.code);
        }
    }

    pub(crate) fn signed_in(&self, person: &Person, server: &str) {
        if self.json {
            return self.emit(json!({ "user": person, "server": server }));
        }
        println!("Signed in to {server} as {} ({}).", person.name, person.role.as_str());
    }

    pub(crate) fn progress(&self, progress: &SyncProgress) {
        if self.json {
            return;
        }
        match progress {
            SyncProgress::Directory => eprintln!("sync: directory"),
            SyncProgress::Push { done, total } => eprintln!("sync: pushed {done} of {total}"),
            SyncProgress::Pull { scope, received } => eprintln!("sync: territory {scope}: {received} received"),
        }
    }

    pub(crate) fn synced(&self, report: &SyncReport, refused: &[RefusedChange]) {
        if self.json {
            return self.emit(json!({ "report": report, "refused": refused }));
        }
        println!(
            "Synced: {} pushed, {} received, {} prospects updated, {} left this device.",
            report.pushed, report.pulled, report.updated, report.removed
        );
        self.refused(refused);
    }
}
