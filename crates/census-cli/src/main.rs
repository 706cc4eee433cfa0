//! # census: the device replica from the command line
//!
//! Everything a field agent does offline, from a terminal: add and edit prospects, record census
//! visits against a questionnaire, list, search, show a prospect with its conflicts and history,
//! resolve conflicts, export to CSV. Output is readable by default and JSON with `--json`, for
//! scripts and tests. Each command is a few lines over `census-replica`; the clock and the random
//! bits for new ids are read here, at the edge.

mod print;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use census_core::*;
use census_replica::{
    ImportOptions, ListFilter, Replica, ReplicaError, SortBy, SyncClient, SyncError, Table, Trust, VisitOutcome,
};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "census", version, about = "Census field replica: prospects, visits and search, offline")]
struct Cli {
    /// The replica file.
    #[arg(long, short = 'r', env = "CENSUS_REPLICA", default_value = "census.replica", global = true)]
    replica: PathBuf,
    /// Print JSON instead of readable text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new replica file for this device.
    Init {
        /// The device id (a new one when omitted). Who edits comes from `census login`.
        #[arg(long)]
        device: Option<DeviceId>,
    },
    /// Add a prospect.
    Add(AddArgs),
    /// Change a prospect's fields, contacts, tags or notes (all in one change).
    Edit(EditArgs),
    /// Record a census visit: answers checked against the questionnaire.
    Visit(VisitArgs),
    /// Visit drafts kept on this device.
    Drafts { prospect: Option<ProspectId> },
    /// List prospects, filtered and sorted.
    List(ListArgs),
    /// Full-text search over name, address, contacts and notes.
    Search {
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Prospects near a point, nearest first.
    Nearby {
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Metres.
        #[arg(long, default_value_t = 500.0)]
        radius: f64,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// A prospect in full: fields, contacts, visits, conflicts, and with --history who changed what.
    Show {
        prospect: ProspectId,
        #[arg(long)]
        history: bool,
    },
    /// Fields with concurrent values: of one prospect, or of every prospect that has some.
    Conflicts { prospect: Option<ProspectId> },
    /// Settle a conflict: pick one of the values shown by `conflicts` (1, 2, ...) or give a new one.
    Resolve {
        prospect: ProspectId,
        /// The field, as `conflicts` shows it, e.g. name or address/city.
        field: FieldPath,
        #[arg(long, conflicts_with = "value")]
        pick: Option<usize>,
        /// A new value (a position as lat,lon; a flag as true or false).
        #[arg(long)]
        value: Option<String>,
    },
    /// Export the prospects a filter shows: CSV (UTF-8, opens in spreadsheets), XLSX or GeoJSON.
    Export {
        /// The file to write; standard output when omitted (CSV and GeoJSON only).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// csv, xlsx or geojson; by default the extension of --out says, else CSV.
        #[arg(long)]
        format: Option<String>,
        /// The language of a spreadsheet's headers and words: en, or ru (a Russian CSV has
        /// semicolons and a decimal comma, as Russian spreadsheet programs write it).
        #[arg(long, default_value = "en", value_parser = ["en", "ru"])]
        language: String,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Import a spreadsheet (XLSX, XLS, ODS or CSV): shows what it would do, and does it with
    /// --apply. Columns are matched to fields by their headers (Russian or English).
    Import {
        file: PathBuf,
        /// Write the changes; without it nothing is written.
        #[arg(long)]
        apply: bool,
        /// A row without a Census id is taken for a prospect here when the duplicate scoring
        /// reaches this.
        #[arg(long, default_value_t = 0.6)]
        threshold: f64,
        /// The territory (name or id) new prospects go to when a row names none.
        #[arg(long)]
        territory: Option<String>,
        /// Map the columns as the mapping saved under this name does (by default the saved
        /// mapping that knows most of the file's columns, else guessed from the headers).
        #[arg(long)]
        mapping: Option<String>,
        /// Map one column by hand: HEADER=FIELD (a field such as name, phone, contact_name;
        /// answer:QUESTION for the answers to a question; none to leave the column out). May be
        /// repeated.
        #[arg(long = "column", value_name = "HEADER=FIELD")]
        columns: Vec<String>,
        /// Save the mapping used under this name, for the next file from the same spreadsheet.
        #[arg(long)]
        save_mapping: Option<String>,
        /// The questionnaire (id) that answer columns answer, in its latest version; by default
        /// the one whose questions the headers name.
        #[arg(long)]
        questionnaire: Option<QuestionnaireId>,
    },
    /// Store a directory file (people, territories, questionnaires) for offline use.
    Directory {
        /// A JSON file with `people`, `territories` and `questionnaires`; shows the cached
        /// directory when omitted.
        file: Option<PathBuf>,
    },
    /// Changes waiting to be pushed to the server, and changes it refused.
    Outbox,
    /// The pictures on this device: those waiting to be uploaded, then the others.
    Photos,
    /// One picture.
    #[command(subcommand)]
    Photo(PhotoCommand),
    /// Sign this device in to a Census server (creates the replica if there is none).
    Login {
        /// The server's address, e.g. https://census.example.com (http:// only on this machine,
        /// unless --plain-http)
        #[arg(long)]
        server: String,
        #[arg(long)]
        login: String,
        #[arg(long, env = "CENSUS_PASSWORD")]
        password: String,
        /// A name for this device, shown to administrators.
        #[arg(long, default_value = "census command line")]
        device_name: String,
        /// Trust this certificate authority (a PEM file) besides the system's: a company's own.
        #[arg(long)]
        ca_cert: Option<PathBuf>,
        /// Speak plain, unencrypted http to a server beyond this machine.
        #[arg(long)]
        plain_http: bool,
    },
    /// Push this device's changes and pull everything new from the server.
    Sync,
}

#[derive(Debug, Subcommand)]
enum PhotoCommand {
    /// Writes a picture (by its SHA-256) to a file: from this device, or fetched from the server
    /// and kept here.
    Get {
        sha256: String,
        /// The file to write.
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
struct AddArgs {
    #[arg(long)]
    name: String,
    /// The territory, by name or id.
    #[arg(long)]
    territory: String,
    #[arg(long, default_value = "")]
    category: String,
    #[arg(long, default_value = "new")]
    status: Status,
    #[command(flatten)]
    address: AddressArgs,
    #[command(flatten)]
    position: PositionArgs,
    /// A phone number to call (a contact with only a phone; repeatable).
    #[arg(long)]
    phone: Vec<String>,
    /// A contact: "name; role; phone; email" (later parts may be left out; repeatable).
    #[arg(long)]
    contact: Vec<String>,
}

#[derive(Debug, Args)]
struct AddressArgs {
    /// Street and house.
    #[arg(long)]
    line: Option<String>,
    #[arg(long)]
    city: Option<String>,
    #[arg(long)]
    region: Option<String>,
    #[arg(long)]
    postcode: Option<String>,
    #[arg(long)]
    country: Option<String>,
}

/// A position typed in, for when the device cannot tell where it is.
#[derive(Debug, Args)]
struct PositionArgs {
    #[arg(long, requires = "lon", allow_hyphen_values = true)]
    lat: Option<f64>,
    #[arg(long, requires = "lat", allow_hyphen_values = true)]
    lon: Option<f64>,
}

#[derive(Debug, Args)]
struct EditArgs {
    prospect: ProspectId,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    status: Option<Status>,
    /// Move it to this territory (name or id).
    #[arg(long)]
    territory: Option<String>,
    #[command(flatten)]
    address: AddressArgs,
    #[command(flatten)]
    position: PositionArgs,
    /// Replace the notes.
    #[arg(long)]
    notes: Option<String>,
    #[arg(long)]
    tag: Vec<String>,
    #[arg(long)]
    untag: Vec<String>,
    /// Add a contact: "name; role; phone; email" (later parts may be left out).
    #[arg(long)]
    contact: Vec<String>,
    /// Remove a contact by its id.
    #[arg(long)]
    remove_contact: Vec<ContactId>,
    /// Mark the prospect deleted (it can be restored).
    #[arg(long, conflicts_with = "restore")]
    delete: bool,
    #[arg(long)]
    restore: bool,
}

#[derive(Debug, Args)]
struct VisitArgs {
    prospect: ProspectId,
    #[arg(long)]
    questionnaire: QuestionnaireId,
    /// The questionnaire version; the latest on this device when omitted.
    #[arg(long)]
    version: Option<u32>,
    /// An answer, question=value (several options: a,b; a position: lat,lon).
    #[arg(long = "answer", short = 'a')]
    answers: Vec<String>,
    #[arg(long, default_value = "")]
    outcome: String,
    /// Keep the visit as a draft instead of recording it (answers are not checked).
    #[arg(long)]
    draft: bool,
    /// Continue a draft: the id of the visit it holds.
    #[arg(long)]
    visit_id: Option<VisitId>,
}

#[derive(Debug, Args)]
struct FilterArgs {
    /// A territory, by name or id.
    #[arg(long)]
    territory: Option<String>,
    #[arg(long)]
    status: Option<Status>,
    #[arg(long)]
    category: Option<String>,
    /// pending, approved or flagged.
    #[arg(long)]
    review: Option<String>,
    /// Only prospects with conflicts.
    #[arg(long)]
    conflicts: bool,
    /// Only prospects changed at or after this time (Unix milliseconds).
    #[arg(long)]
    since: Option<i64>,
    /// Include deleted and merged prospects.
    #[arg(long)]
    all: bool,
    /// name, recent or status.
    #[arg(long, default_value = "name")]
    sort: String,
}

#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    filter: FilterArgs,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long, default_value_t = 0)]
    offset: u32,
}

/// What went wrong, for the person at the terminal.
#[derive(Debug)]
enum Failure {
    Replica(ReplicaError),
    Sync(SyncError),
    Usage(String),
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Self {
        Failure::Sync(e)
    }
}

impl From<ReplicaError> for Failure {
    fn from(e: ReplicaError) -> Self {
        Failure::Replica(e)
    }
}

impl From<DocumentError> for Failure {
    fn from(e: DocumentError) -> Self {
        Failure::Replica(e.into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(Failure::Replica(e)) => {
            eprintln!("census: {e}");
            ExitCode::FAILURE
        }
        Err(Failure::Sync(e)) => {
            eprintln!("census: {e}");
            ExitCode::from(3)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("census: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    let out = print::Output { json: cli.json };
    if let Command::Init { device } = &cli.command {
        let device = device.unwrap_or_else(|| DeviceId::new_v7(now(), rand::random()));
        Replica::create(&cli.replica, device)?;
        out.created_replica(&cli.replica, device);
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Login { server, login, password, device_name, ca_cert, plain_http } = &cli.command {
        let company_ca = match ca_cert {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| Failure::Usage(format!("cannot read the certificate {}: {e}", path.display())))?,
            ),
            None => None,
        };
        let client = SyncClient::connect(server, &Trust { company_ca, plain_http: *plain_http })?;
        let mut replica = if cli.replica.exists() {
            Replica::open(&cli.replica)?
        } else {
            Replica::create(&cli.replica, DeviceId::new_v7(now(), rand::random()))?
        };
        let person = replica.login(&client, login, password, device_name)?;
        out.signed_in(&person, server);
        return Ok(ExitCode::SUCCESS);
    }
    let mut replica = Replica::open(&cli.replica)?;
    match &cli.command {
        Command::Init { .. } | Command::Login { .. } => unreachable!("handled above"),
        Command::Sync => {
            if replica.server()?.is_none() {
                return Err(Failure::Usage("this device is not signed in; run `census login` first".into()));
            }
            let client = replica.client()?;
            let report = replica.sync_with_retries(&client, now(), 3, &mut |p| out.progress(&p))?;
            out.synced(&report, &replica.refused_changes()?);
        }
        Command::Add(args) => {
            let new = NewProspect {
                territory: territory_named(&replica, &args.territory)?,
                name: args.name.clone(),
                category: args.category.clone(),
                status: args.status,
                address: args.address.to_address(),
                location: args.position.location(),
            };
            let id = ProspectId::new_v7(now(), rand::random());
            let ctx = edit_context(&replica)?;
            let mut prospect = replica.create_prospect(id, &ctx, &new)?;
            let contacts: Vec<Contact> = args
                .phone
                .iter()
                .map(|phone| Contact { phone: phone.clone(), ..Contact::default() })
                .chain(args.contact.iter().map(|text| contact_from(text)))
                .collect();
            if !contacts.is_empty() {
                prospect = replica.edit_prospect(id, &ctx, |p| {
                    contacts.iter().try_for_each(|c| p.add_contact(ContactId::new_v7(now(), rand::random()), c))
                })?;
            }
            out.prospect_saved(&prospect);
        }
        Command::Edit(args) => {
            let ctx = edit_context(&replica)?;
            let territory = args.territory.as_deref().map(|t| territory_named(&replica, t)).transpose()?;
            let prospect = replica.edit_prospect(args.prospect, &ctx, |p| apply_edit(p, args, territory))?;
            out.prospect_saved(&prospect);
        }
        Command::Visit(args) => {
            let ctx = edit_context(&replica)?;
            let questionnaire = replica.questionnaire(args.questionnaire, args.version)?;
            let visit = Visit {
                id: args.visit_id.unwrap_or_else(|| VisitId::new_v7(ctx.at, rand::random())),
                at: ctx.at,
                agent: ctx.user,
                questionnaire: QuestionnaireRef { id: questionnaire.id, version: questionnaire.version },
                answers: parse_answers(&questionnaire, &args.answers)?,
                location: None,
                outcome: args.outcome.clone(),
            };
            if args.draft {
                replica.save_visit_draft(args.prospect, &visit, ctx.at)?;
                out.draft_saved(&visit);
                return Ok(ExitCode::SUCCESS);
            }
            let outcome = replica.record_visit(args.prospect, &ctx, &questionnaire, &visit)?;
            out.visit_outcome(&visit, &outcome);
            if matches!(outcome, VisitOutcome::Invalid { .. }) {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Drafts { prospect } => out.drafts(&replica.visit_drafts(*prospect)?),
        Command::List(args) => {
            let filter = ListFilter { limit: args.limit, offset: args.offset, ..args.filter.to_filter(&replica)? };
            out.rows(&replica.list(&filter)?);
        }
        Command::Search { query, limit } => out.rows(&replica.search(query, *limit)?),
        Command::Nearby { lat, lon, radius, limit } => out.nearby(&replica.nearby(*lat, *lon, *radius, *limit)?),
        Command::Show { prospect, history } => {
            let detail = replica.prospect(*prospect)?;
            out.detail(&detail, *history, &names(&replica)?);
        }
        Command::Conflicts { prospect } => {
            let ids = match prospect {
                Some(id) => vec![*id],
                None => {
                    let mut ids = Vec::new();
                    let filter =
                        ListFilter { has_conflicts: Some(true), include_hidden: true, ..ListFilter::default() };
                    replica.for_each_row(&filter, |row| {
                        ids.push(row.id);
                        Ok(())
                    })?;
                    ids
                }
            };
            let mut found = Vec::new();
            for id in ids {
                let detail = replica.prospect(id)?;
                found.push((id, detail.prospect.name, detail.conflicts));
            }
            out.conflicts(&found, &names(&replica)?);
        }
        Command::Resolve { prospect, field, pick, value } => {
            let value =
                match (pick, value) {
                    (Some(n), _) => {
                        let conflicts = replica.prospect(*prospect)?.conflicts;
                        let conflict = conflicts.iter().find(|c| &c.path == field).ok_or_else(|| {
                            Failure::Usage(format!("the field {field} of {prospect} is not in conflict"))
                        })?;
                        let chosen = n.checked_sub(1).and_then(|i| conflict.values.get(i)).ok_or_else(|| {
                            Failure::Usage(format!("pick a value from 1 to {}", conflict.values.len()))
                        })?;
                        chosen.value.clone()
                    }
                    (None, Some(text)) => field_value(field, text)?,
                    (None, None) => return Err(Failure::Usage("give --pick N or --value TEXT".into())),
                };
            let ctx = edit_context(&replica)?;
            let prospect = replica.resolve_conflict(*prospect, &ctx, field, &value)?;
            out.prospect_saved(&prospect);
        }
        Command::Import { file, apply, threshold, territory, mapping, columns, save_mapping, questionnaire } => {
            let table = Table::read(file)?;
            let default_territory = territory.as_deref().map(|t| territory_named(&replica, t)).transpose()?;
            let questionnaires = replica.questionnaires()?;
            let questionnaire = match questionnaire {
                Some(id) => Some(
                    questionnaires
                        .iter()
                        .find(|q| q.id == *id)
                        .ok_or_else(|| Failure::Usage(format!("there is no questionnaire {id} in the directory")))?,
                ),
                None => census_core::import::questionnaire_for(&table.headers, &questionnaires),
            };
            let saved = match mapping {
                Some(name) => Some(replica.import_mapping(name)?),
                None => replica.best_import_mapping(&table.headers)?,
            };
            let mut mapping = match saved {
                Some(saved) => saved.mapping_for(&table.headers),
                None => ColumnMapping::guess_with(&table.headers, questionnaire),
            };
            let questionnaire = questionnaire.map(|q| QuestionnaireRef { id: q.id, version: q.version });
            for column in columns {
                map_column(&mut mapping, &table.headers, column)?;
            }
            if let Some(name) = save_mapping {
                let saved = SavedMapping::new(name, &table.headers, &mapping).map_err(|p| Failure::Usage(p.en))?;
                replica.save_import_mapping(&saved)?;
            }
            let options = ImportOptions { mapping, questionnaire, threshold: *threshold, default_territory };
            let preview = if *apply {
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let ctx = edit_context(&replica)?;
                let who = names(&replica)?.remove(&ctx.user).unwrap_or_else(|| ctx.user.to_string());
                let ctx = ctx.with_source(format!("import of {name} by {who}"));
                // New prospects' ids are time-ordered, like those of prospects added by hand.
                let mut new_id = || *ProspectId::new_v7(now(), rand::random()).as_bytes();
                replica.apply_import(&table, &options, &ctx, &mut new_id, &mut |_, _| {})?
            } else {
                replica.preview_import(&table, &options)?
            };
            out.imported(&table.headers, &options.mapping, &preview, *apply);
        }
        Command::Export { out: file, format, language, filter } => {
            let filter = filter.to_filter(&replica)?;
            let language = if language == "ru" { Language::Ru } else { Language::En };
            let from_extension = file.as_ref().and_then(|p| p.extension()).map(|e| e.to_string_lossy().to_lowercase());
            let format = format.clone().or(from_extension).unwrap_or_else(|| "csv".into());
            let create = |path: &PathBuf| {
                std::fs::File::create(path)
                    .map(std::io::BufWriter::new)
                    .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))
            };
            let count = match (format.as_str(), file) {
                ("csv", Some(path)) => replica.export_csv(&filter, language, create(path)?)?,
                ("csv", None) => replica.export_csv(&filter, language, std::io::stdout().lock())?,
                ("geojson" | "json", Some(path)) => replica.export_geojson(&filter, create(path)?)?,
                ("geojson" | "json", None) => replica.export_geojson(&filter, std::io::stdout().lock())?,
                ("xlsx", Some(path)) => replica.export_xlsx(&filter, language, path)?,
                ("xlsx", None) => {
                    return Err(Failure::Usage("an XLSX export needs a file: give --out FILE.xlsx".into()));
                }
                (other, _) => {
                    return Err(Failure::Usage(format!(
                        "\"{other}\" is not an export format: use csv, xlsx or geojson"
                    )));
                }
            };
            if file.is_some() {
                out.exported(count);
            }
        }
        Command::Directory { file } => match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
                let directory: Directory = serde_json::from_str(&text)
                    .map_err(|e| Failure::Usage(format!("{} is not a Census directory: {e}", path.display())))?;
                replica.cache_directory(&directory)?;
                out.directory(&replica.people()?, &replica.territories()?, &replica.questionnaires()?);
            }
            None => out.directory(&replica.people()?, &replica.territories()?, &replica.questionnaires()?),
        },
        Command::Outbox => out.outbox(&replica.outbox(u32::MAX)?, &replica.refused_changes()?),
        Command::Photos => out.pictures(&replica.pictures()?),
        Command::Photo(PhotoCommand::Get { sha256, out: file }) => {
            let bytes = match replica.photo(sha256)? {
                Some(photo) => photo.bytes,
                None if replica.server()?.is_none() => {
                    return Err(Failure::Usage(format!(
                        "picture {sha256} is not on this device, which is not signed in; run `census login` first"
                    )));
                }
                None => {
                    let client = replica.client()?;
                    replica.fetch_picture(&client, sha256, now())?
                }
            };
            std::fs::write(file, &bytes)
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", file.display())))?;
            out.picture_written(sha256, bytes.len(), file);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_unix_millis(millis)
}

/// Applies one `HEADER=FIELD` (or `HEADER=answer:QUESTION`) of `--column` to `mapping`; the
/// header is matched as written or in any letter case.
fn map_column(mapping: &mut ColumnMapping, headers: &[String], column: &str) -> Result<(), Failure> {
    let (header, field) = column
        .rsplit_once('=')
        .ok_or_else(|| Failure::Usage(format!("--column takes HEADER=FIELD, not \"{column}\"")))?;
    let at = headers
        .iter()
        .position(|h| h == header)
        .or_else(|| headers.iter().position(|h| h.to_lowercase() == header.to_lowercase()))
        .ok_or_else(|| Failure::Usage(format!("the file has no column \"{header}\"")))?;
    let (field, question) = match field.split_once(':') {
        Some(("answer", question)) => (
            Some(ImportField::Answer),
            Some(QuestionId::new(question).map_err(|e| Failure::Usage(format!("\"{question}\": {e}")))?),
        ),
        _ if field == "none" || field.is_empty() => (None, None),
        _ => (
            Some(ImportField::from_key(field).filter(|f| *f != ImportField::Answer).ok_or_else(|| {
                let known: Vec<&str> =
                    ImportField::ALL.iter().filter(|f| **f != ImportField::Answer).map(|f| f.key()).collect();
                Failure::Usage(format!(
                    "\"{field}\" is not a field; the fields are {}, answer:QUESTION or none",
                    known.join(", ")
                ))
            })?),
            None,
        ),
    };
    mapping.columns.resize(headers.len().max(mapping.columns.len()), None);
    mapping.questions.resize(mapping.columns.len(), None);
    mapping.columns[at] = field;
    mapping.questions[at] = question;
    Ok(())
}

fn edit_context(replica: &Replica) -> Result<EditContext, Failure> {
    match replica.edit_context(now()) {
        Err(ReplicaError::SignedOut) => Err(Failure::Usage(
            "no one is signed in on this replica; sign in with `census login` (once, with a network) first".into(),
        )),
        other => Ok(other?),
    }
}

/// Display names of the people in the cached directory, for history and conflicts.
fn names(replica: &Replica) -> Result<BTreeMap<UserId, String>, Failure> {
    Ok(replica.people()?.into_iter().map(|p| (p.id, p.name)).collect())
}

impl PositionArgs {
    fn location(&self) -> Option<Location> {
        Some(Location { lat: self.lat?, lon: self.lon?, accuracy_m: None, at: now() })
    }
}

impl AddressArgs {
    fn to_address(&self) -> Address {
        let part = |p: &Option<String>| p.clone().unwrap_or_default();
        Address {
            line: part(&self.line),
            city: part(&self.city),
            region: part(&self.region),
            postcode: part(&self.postcode),
            country: part(&self.country),
        }
    }

    fn to_patch(&self) -> AddressPatch {
        AddressPatch {
            line: self.line.clone(),
            city: self.city.clone(),
            region: self.region.clone(),
            postcode: self.postcode.clone(),
            country: self.country.clone(),
        }
    }
}

/// The territory `wanted` names: its id, or its name (letter case and ё aside) in the cached
/// directory.
fn territory_named(replica: &Replica, wanted: &str) -> Result<TerritoryId, Failure> {
    if let Ok(id) = wanted.parse::<TerritoryId>() {
        return Ok(id);
    }
    let plain = |name: &str| name.trim().to_lowercase().replace('ё', "е");
    let territories = replica.territories()?;
    let matching: Vec<&Territory> = territories.iter().filter(|t| plain(&t.name) == plain(wanted)).collect();
    match matching.as_slice() {
        [one] => Ok(one.id),
        [] if territories.is_empty() => Err(Failure::Usage(format!(
            "there is no territory \"{wanted}\" on this device: run `census sync` to receive the directory, or give the territory's id"
        ))),
        [] => {
            let known: Vec<&str> = territories.iter().map(|t| t.name.as_str()).collect();
            Err(Failure::Usage(format!("there is no territory \"{wanted}\"; this device knows: {}", known.join(", "))))
        }
        _ => Err(Failure::Usage(format!("several territories are called \"{wanted}\"; give the territory's id"))),
    }
}

/// A contact typed as "name; role; phone; email" (later parts may be left out).
fn contact_from(text: &str) -> Contact {
    let mut parts = text.split(';').map(|s| s.trim().to_owned());
    let mut next = || parts.next().unwrap_or_default();
    Contact { name: next(), role: next(), phone: next(), email: next() }
}

fn apply_edit(
    p: &mut ProspectEditor<'_>,
    args: &EditArgs,
    territory: Option<TerritoryId>,
) -> Result<(), DocumentError> {
    if let Some(name) = &args.name {
        p.set_name(name)?;
    }
    if let Some(category) = &args.category {
        p.set_category(category)?;
    }
    if let Some(status) = args.status {
        p.set_status(status)?;
    }
    if let Some(territory) = territory {
        p.set_territory(territory)?;
    }
    p.set_address(&args.address.to_patch())?;
    if let Some(location) = args.position.location() {
        p.set_location(&location)?;
    }
    if let Some(notes) = &args.notes {
        p.set_notes(notes)?;
    }
    for tag in &args.tag {
        p.add_tag(tag)?;
    }
    for tag in &args.untag {
        p.remove_tag(tag)?;
    }
    for contact in &args.contact {
        p.add_contact(ContactId::new_v7(now(), rand::random()), &contact_from(contact))?;
    }
    for id in &args.remove_contact {
        p.remove_contact(*id)?;
    }
    if args.delete {
        p.delete()?;
    }
    if args.restore {
        p.restore()?;
    }
    Ok(())
}

fn parse_answers(questionnaire: &Questionnaire, given: &[String]) -> Result<BTreeMap<QuestionId, Answer>, Failure> {
    let mut answers = BTreeMap::new();
    for pair in given {
        let (key, text) = pair
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("\"{pair}\" is not an answer; write it as question=value")))?;
        let id = QuestionId::new(key.trim()).map_err(|e| Failure::Usage(e.to_string()))?;
        let question = questionnaire.question(&id).ok_or_else(|| {
            Failure::Usage(format!("the questionnaire \"{}\" has no question \"{id}\"", questionnaire.title.en))
        })?;
        let answer = Answer::from_text(question.kind, text).map_err(|e| Failure::Usage(format!("{id}: {e}")))?;
        answers.insert(id, answer);
    }
    Ok(answers)
}

/// A new value for a field, read from text the way the field needs it.
fn field_value(field: &FieldPath, text: &str) -> Result<FieldValue, Failure> {
    Ok(match field.segments().first().map(String::as_str) {
        Some("location") => match Answer::from_text(QuestionType::Geopoint, text) {
            Ok(Answer::Geopoint(point)) => FieldValue::Location(Location {
                lat: point.lat,
                lon: point.lon,
                accuracy_m: point.accuracy_m,
                at: now(),
            }),
            Ok(_) | Err(_) => return Err(Failure::Usage(format!("\"{text}\" is not a position; write lat,lon"))),
        },
        Some("deleted") => {
            FieldValue::Flag(text.parse().map_err(|_| Failure::Usage(format!("\"{text}\" is not true or false")))?)
        }
        _ => FieldValue::Text(text.to_owned()),
    })
}

impl FilterArgs {
    fn to_filter(&self, replica: &Replica) -> Result<ListFilter, Failure> {
        let review_state = self
            .review
            .as_deref()
            .map(|r| {
                ReviewState::parse(r).ok_or_else(|| {
                    Failure::Usage(format!("\"{r}\" is not a review state; use pending, approved or flagged"))
                })
            })
            .transpose()?;
        let sort = match self.sort.as_str() {
            "name" => SortBy::Name,
            "recent" => SortBy::RecentlyUpdated,
            "status" => SortBy::Status,
            other => {
                return Err(Failure::Usage(format!("\"{other}\" is not a sort order; use name, recent or status")));
            }
        };
        Ok(ListFilter {
            territory: self.territory.as_deref().map(|t| territory_named(replica, t)).transpose()?,
            status: self.status,
            category: self.category.clone(),
            review_state,
            has_conflicts: self.conflicts.then_some(true),
            updated_since: self.since,
            include_hidden: self.all,
            sort,
            ..ListFilter::default()
        })
    }
}
