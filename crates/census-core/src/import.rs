//! Bringing spreadsheet rows in: which column holds which field (guessed from the headers, in
//! Russian or English, and adjustable), each row read into typed fields with its problems in
//! words, and exactly what a row would change in the prospect it matches.
//!
//! An empty cell leaves a field as it is: a sheet that lacks a value says nothing about it. So
//! importing the same file twice changes nothing the second time, and a sheet exported from
//! Census, edited and imported again changes exactly the cells that were edited.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::directory::Territory;
use crate::duplicates::normalize_phone;
use crate::ids::{ContactId, ProspectId, TerritoryId};
use crate::ids::{QuestionId, VisitId};
use crate::localized::Localized;
use crate::prospect::{Address, AddressPatch, Contact, Location, NewProspect, Prospect, Status};
use crate::prospect::{QuestionnaireRef, Visit};
use crate::prospect_doc::{DocumentError, ProspectEditor};
use crate::questionnaire::{Answer, Question, QuestionType, Questionnaire};
use crate::time::Timestamp;
use crate::validation::{ProblemKind, parse_date, validate_answers};

/// The prospect field a column holds.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportField {
    /// The Census id an export writes in every row.
    CensusId,
    Name,
    Category,
    Status,
    /// A territory by its name (or its id).
    Territory,
    /// The whole address on one line, as an export writes it.
    Address,
    AddressLine,
    City,
    Region,
    Postcode,
    Country,
    Lat,
    Lon,
    ContactName,
    ContactRole,
    /// One or more phones (separated by commas or semicolons).
    Phone,
    Email,
    /// Tags separated by commas or semicolons.
    Tags,
    Notes,
    /// An answer to a question of the import's questionnaire (which one, the mapping's
    /// `questions` says); a row's answers are recorded as one visit when they are new.
    Answer,
}

impl ImportField {
    pub const ALL: [ImportField; 20] = [
        ImportField::CensusId,
        ImportField::Name,
        ImportField::Category,
        ImportField::Status,
        ImportField::Territory,
        ImportField::Address,
        ImportField::AddressLine,
        ImportField::City,
        ImportField::Region,
        ImportField::Postcode,
        ImportField::Country,
        ImportField::Lat,
        ImportField::Lon,
        ImportField::ContactName,
        ImportField::ContactRole,
        ImportField::Phone,
        ImportField::Email,
        ImportField::Tags,
        ImportField::Notes,
        ImportField::Answer,
    ];

    /// Header words that name this field, normalised (lower case, `ё` as `е`, no punctuation).
    fn headers(self) -> &'static [&'static str] {
        match self {
            ImportField::CensusId => &["census id", "census_id", "id census", "идентификатор census", "код census"],
            ImportField::Name => {
                &["name", "название", "наименование", "точка", "магазин", "клиент", "компания", "организация"]
            }
            ImportField::Category => &["category", "категория", "тип точки", "вид", "формат"],
            ImportField::Status => &["status", "статус"],
            ImportField::Territory => &["territory", "территория", "район", "участок", "territory_id"],
            ImportField::Address => &["address", "адрес", "полный адрес"],
            ImportField::AddressLine => &["street", "address line", "улица", "улица дом", "адрес улица"],
            ImportField::City => &["city", "town", "город", "населенный пункт"],
            ImportField::Region => &["region", "регион", "область", "край"],
            ImportField::Postcode => &["postcode", "zip", "postal code", "индекс", "почтовый индекс"],
            ImportField::Country => &["country", "страна"],
            ImportField::Lat => &["lat", "latitude", "широта"],
            ImportField::Lon => &["lon", "lng", "long", "longitude", "долгота"],
            ImportField::ContactName => {
                &["contact", "contact name", "контакт", "контактное лицо", "фио", "имя контакта", "лпр"]
            }
            ImportField::ContactRole => &["role", "position", "job title", "должность"],
            ImportField::Phone => {
                &["phone", "phones", "telephone", "mobile", "телефон", "телефоны", "тел", "мобильный"]
            }
            ImportField::Email => &["email", "e mail", "mail", "почта", "эл почта", "электронная почта"],
            ImportField::Tags => &["tags", "tag", "метки", "теги", "метка"],
            ImportField::Notes => &["notes", "note", "comment", "comments", "заметки", "примечание", "комментарий"],
            // Answer columns are found by their questions' labels (see `ColumnMapping::guess_with`).
            ImportField::Answer => &[],
        }
    }

    /// The field's name in files and on the command line (`census_id`, `contact_name`, ...).
    pub fn key(self) -> &'static str {
        match self {
            ImportField::CensusId => "census_id",
            ImportField::Name => "name",
            ImportField::Category => "category",
            ImportField::Status => "status",
            ImportField::Territory => "territory",
            ImportField::Address => "address",
            ImportField::AddressLine => "address_line",
            ImportField::City => "city",
            ImportField::Region => "region",
            ImportField::Postcode => "postcode",
            ImportField::Country => "country",
            ImportField::Lat => "lat",
            ImportField::Lon => "lon",
            ImportField::ContactName => "contact_name",
            ImportField::ContactRole => "contact_role",
            ImportField::Phone => "phone",
            ImportField::Email => "email",
            ImportField::Tags => "tags",
            ImportField::Notes => "notes",
            ImportField::Answer => "answer",
        }
    }

    /// The field called `key` (as [`ImportField::key`] names it).
    pub fn from_key(key: &str) -> Option<ImportField> {
        ImportField::ALL.into_iter().find(|field| field.key() == key)
    }

    /// The field a header names, if any.
    pub fn guess(header: &str) -> Option<ImportField> {
        let header = normalize_header(header);
        ImportField::ALL.into_iter().find(|field| field.headers().contains(&header.as_str()))
    }
}

fn normalize_header(header: &str) -> String {
    header
        .to_lowercase()
        .replace('ё', "е")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a header names this question: its label in either language, or its id.
fn names_question(header: &str, question: &Question) -> bool {
    let header = normalize_header(header);
    !header.is_empty()
        && [&question.label.ru, &question.label.en, question.id.as_str()]
            .into_iter()
            .any(|name| normalize_header(name) == header)
}

/// The questionnaire whose questions the headers name most (at least one), if any: the one a
/// file's answer columns most likely answer.
pub fn questionnaire_for<'a>(headers: &[String], questionnaires: &'a [Questionnaire]) -> Option<&'a Questionnaire> {
    let named = |q: &Questionnaire| {
        headers
            .iter()
            .filter(|h| {
                ImportField::guess(h).is_none() && q.questions.iter().any(|question| names_question(h, question))
            })
            .count()
    };
    questionnaires.iter().filter(|q| named(q) > 0).max_by_key(|q| named(q))
}

/// Which field each column of a file holds (`None`: not imported).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub columns: Vec<Option<ImportField>>,
    /// For each column mapped to [`ImportField::Answer`], the question it answers.
    #[serde(default)]
    pub questions: Vec<Option<QuestionId>>,
}

impl ColumnMapping {
    /// The mapping the headers suggest; a field is taken by its first column only.
    pub fn guess(headers: &[String]) -> ColumnMapping {
        ColumnMapping::guess_with(headers, None)
    }

    /// The mapping the headers suggest, with the columns named like a question of
    /// `questionnaire` (its label in either language, or its id) taken as its answers.
    pub fn guess_with(headers: &[String], questionnaire: Option<&Questionnaire>) -> ColumnMapping {
        let mut taken = BTreeSet::new();
        let mut answered = BTreeSet::new();
        let mut mapping = ColumnMapping::default();
        for header in headers {
            let field = ImportField::guess(header).filter(|field| taken.insert(*field));
            let question = match field {
                Some(_) => None,
                None => questionnaire
                    .and_then(|q| q.questions.iter().find(|question| names_question(header, question)))
                    .filter(|question| answered.insert(question.id.clone())),
            };
            mapping.columns.push(field.or(question.map(|_| ImportField::Answer)));
            mapping.questions.push(question.map(|q| q.id.clone()));
        }
        mapping
    }

    /// The question column `column` answers, when it is an answer column.
    pub fn question(&self, column: usize) -> Option<&QuestionId> {
        match self.columns.get(column) {
            Some(Some(ImportField::Answer)) => self.questions.get(column)?.as_ref(),
            _ => None,
        }
    }

    /// Whether any column holds answers.
    pub fn has_answers(&self) -> bool {
        self.columns.contains(&Some(ImportField::Answer))
    }

    /// Says, in words, why this mapping cannot import anything.
    pub fn check(&self) -> Result<(), Localized> {
        let has = |field| self.columns.contains(&Some(field));
        if !has(ImportField::Name) && !has(ImportField::CensusId) {
            return Err(Localized::new(
                "Укажите, в какой колонке название точки (или идентификатор Census)",
                "Say which column holds the prospect's name (or its Census id)",
            ));
        }
        let fields: Vec<ImportField> =
            self.columns.iter().flatten().copied().filter(|f| *f != ImportField::Answer).collect();
        if let Some(twice) = fields.iter().find(|f| fields.iter().filter(|g| g == f).count() > 1) {
            return Err(Localized::new(
                format!("Поле «{}» выбрано для двух колонок", field_name(*twice).ru),
                format!("The field “{}” is chosen for two columns", field_name(*twice).en),
            ));
        }
        let mut answered = BTreeSet::new();
        for (column, field) in self.columns.iter().enumerate() {
            if *field != Some(ImportField::Answer) {
                continue;
            }
            let Some(question) = self.question(column) else {
                return Err(Localized::new(
                    format!("Выберите вопрос для колонки {}", column + 1),
                    format!("Choose the question that column {} answers", column + 1),
                ));
            };
            if !answered.insert(question) {
                return Err(Localized::new(
                    format!("Вопрос «{question}» выбран для двух колонок"),
                    format!("The question “{question}” is chosen for two columns"),
                ));
            }
        }
        Ok(())
    }
}

/// A column mapping kept under a name, column by column under its header, so that next month's
/// file from the same spreadsheet is mapped as this one was, whatever order its columns are in.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMapping {
    pub name: String,
    pub columns: Vec<SavedColumn>,
}

/// One column of a saved mapping: its header as the file had it, and the field it went to
/// (`None`: deliberately not imported).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedColumn {
    pub header: String,
    pub field: Option<ImportField>,
    /// The question an answer column answers.
    #[serde(default)]
    pub question: Option<QuestionId>,
}

impl SavedMapping {
    /// Keeps `mapping` of a file with these `headers` under `name`.
    pub fn new(name: &str, headers: &[String], mapping: &ColumnMapping) -> Result<SavedMapping, Localized> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Localized::new("Дайте сопоставлению название", "Give the mapping a name"));
        }
        mapping.check()?;
        let columns = headers
            .iter()
            .enumerate()
            .filter(|(_, header)| !header.trim().is_empty())
            .map(|(column, header)| SavedColumn {
                header: header.clone(),
                field: mapping.columns.get(column).copied().flatten(),
                question: mapping.question(column).cloned(),
            })
            .collect();
        Ok(SavedMapping { name: name.to_owned(), columns })
    }

    /// The mapping for a file with `headers`: each column the saved one knows (by its header,
    /// in any order and letter case) as it was saved, the others guessed from their headers, and
    /// every field still taken by one column only.
    pub fn mapping_for(&self, headers: &[String]) -> ColumnMapping {
        let saved = |header: &str| {
            let header = normalize_header(header);
            self.columns.iter().find(|c| normalize_header(&c.header) == header)
        };
        let known: Vec<Option<&SavedColumn>> = headers.iter().map(|h| saved(h)).collect();
        let mut taken: BTreeSet<ImportField> = known.iter().flatten().filter_map(|c| c.field).collect();
        let mut mapping = ColumnMapping::default();
        for (header, known) in headers.iter().zip(&known) {
            let (field, question) = match known {
                Some(column) => {
                    (column.field, column.question.clone().filter(|_| column.field == Some(ImportField::Answer)))
                }
                None => (ImportField::guess(header).filter(|field| taken.insert(*field)), None),
            };
            mapping.columns.push(field);
            mapping.questions.push(question);
        }
        mapping
    }

    /// How many of `headers` this mapping knows: the saved mapping that fits a file best is the
    /// one that knows most of its columns.
    pub fn known_columns(&self, headers: &[String]) -> usize {
        headers
            .iter()
            .filter(|h| self.columns.iter().any(|c| normalize_header(&c.header) == normalize_header(h)))
            .count()
    }
}

/// A field's name in words, for mappings and problems.
pub fn field_name(field: ImportField) -> Localized {
    let (ru, en) = match field {
        ImportField::CensusId => ("Идентификатор Census", "Census id"),
        ImportField::Name => ("Название", "Name"),
        ImportField::Category => ("Категория", "Category"),
        ImportField::Status => ("Статус", "Status"),
        ImportField::Territory => ("Территория", "Territory"),
        ImportField::Address => ("Адрес одной строкой", "Address on one line"),
        ImportField::AddressLine => ("Улица и дом", "Street"),
        ImportField::City => ("Город", "City"),
        ImportField::Region => ("Регион", "Region"),
        ImportField::Postcode => ("Индекс", "Postcode"),
        ImportField::Country => ("Страна", "Country"),
        ImportField::Lat => ("Широта", "Latitude"),
        ImportField::Lon => ("Долгота", "Longitude"),
        ImportField::ContactName => ("Контактное лицо", "Contact"),
        ImportField::ContactRole => ("Должность контакта", "Contact's role"),
        ImportField::Phone => ("Телефон", "Phone"),
        ImportField::Email => ("Эл. почта", "E-mail"),
        ImportField::Tags => ("Метки", "Tags"),
        ImportField::Notes => ("Заметки", "Notes"),
        ImportField::Answer => ("Ответ на вопрос", "Answer to a question"),
    };
    Localized::new(ru, en)
}

/// One row of a file, read into typed fields; `None` and empty lists mean "leave as it is".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportRow {
    pub id: Option<ProspectId>,
    pub name: Option<String>,
    pub category: Option<String>,
    pub status: Option<Status>,
    pub territory: Option<TerritoryId>,
    /// The address on one line.
    pub address: Option<String>,
    pub address_parts: AddressPatch,
    pub location: Option<(f64, f64)>,
    pub contact: Contact,
    pub phones: Vec<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    /// Answers to the import's questionnaire, checked against it.
    pub answers: BTreeMap<QuestionId, Answer>,
    /// The questionnaire the answers are for (set when there are answers).
    pub questionnaire: Option<QuestionnaireRef>,
}

/// What a row is read against.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'a> {
    pub territories: &'a [Territory],
    /// Where new prospects go when the row names no territory.
    pub default_territory: Option<TerritoryId>,
    /// The questionnaire answer columns answer.
    pub questionnaire: Option<&'a Questionnaire>,
}

/// The most text the imported columns of one row may hold: the row is written as one change,
/// which may not pass [`crate::limits::MAX_CHANGE_BYTES`], and its text is most of it.
pub const MAX_ROW_TEXT_BYTES: u64 = crate::limits::MAX_CHANGE_BYTES / 2;

impl ImportRow {
    /// Reads one row's cells through `mapping`; the problems are in words, one per bad cell.
    pub fn read(cells: &[String], mapping: &ColumnMapping, context: &RowContext<'_>) -> (ImportRow, Vec<Localized>) {
        let mut row = ImportRow::default();
        let mut problems = Vec::new();
        let (mut lat, mut lon) = (None, None);
        // A coordinate that cannot be read is reported once, not again as a missing half.
        let mut unreadable_position = false;
        for (column, (field, cell)) in mapping.columns.iter().zip(cells).enumerate() {
            let (Some(field), value) = (field, cell.trim()) else { continue };
            if value.is_empty() {
                continue;
            }
            let mut problem = |ru: String, en: String| problems.push(Localized::new(ru, en));
            match field {
                ImportField::CensusId => match value.parse() {
                    Ok(id) => row.id = Some(id),
                    Err(_) => {
                        problem(format!("«{value}» — не идентификатор Census"), format!("“{value}” is not a Census id"))
                    }
                },
                ImportField::Name => row.name = Some(value.to_owned()),
                ImportField::Category => row.category = Some(value.to_owned()),
                ImportField::Status => match read_status(value) {
                    Some(status) => row.status = Some(status),
                    None => problem(
                        format!("«{value}» — неизвестный статус"),
                        format!("“{value}” is not a status Census knows"),
                    ),
                },
                ImportField::Territory => match find_territory(value, context.territories) {
                    Some(territory) => row.territory = Some(territory),
                    None => problem(format!("Нет территории «{value}»"), format!("There is no territory “{value}”")),
                },
                ImportField::Address => row.address = Some(value.to_owned()),
                ImportField::AddressLine => row.address_parts.line = Some(value.to_owned()),
                ImportField::City => row.address_parts.city = Some(value.to_owned()),
                ImportField::Region => row.address_parts.region = Some(value.to_owned()),
                ImportField::Postcode => row.address_parts.postcode = Some(value.to_owned()),
                ImportField::Country => row.address_parts.country = Some(value.to_owned()),
                ImportField::Lat | ImportField::Lon => match read_number(value) {
                    Some(number) if *field == ImportField::Lat => lat = Some(number),
                    Some(number) => lon = Some(number),
                    None => {
                        unreadable_position = true;
                        problem(
                            format!("«{value}» — не число ({})", field_name(*field).ru.to_lowercase()),
                            format!("“{value}” is not a number ({})", field_name(*field).en.to_lowercase()),
                        )
                    }
                },
                ImportField::ContactName => row.contact.name = value.to_owned(),
                ImportField::ContactRole => row.contact.role = value.to_owned(),
                ImportField::Phone => row.phones = split_list(value),
                ImportField::Email => row.contact.email = value.to_owned(),
                // As a prospect keeps them: spaces inside a tag collapsed.
                ImportField::Tags => {
                    row.tags =
                        split_list(value).iter().map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
                }
                ImportField::Notes => row.notes = Some(value.to_owned()),
                ImportField::Answer => {
                    let question = mapping.question(column).and_then(|id| context.questionnaire?.question(id));
                    match question.map(|question| (question, read_answer(question, value))) {
                        Some((question, Ok(answer))) => {
                            row.answers.insert(question.id.clone(), answer);
                        }
                        Some((_, Err(wrong))) => problem(wrong.ru, wrong.en),
                        None => problem(
                            format!("В анкете нет вопроса для колонки {}", column + 1),
                            format!("The questionnaire has no question for column {}", column + 1),
                        ),
                    }
                }
            }
        }
        if let (Some(questionnaire), false) = (context.questionnaire, row.answers.is_empty()) {
            // A sheet answers some questions, not the whole questionnaire: what it gives is
            // checked, what it leaves out is not asked for.
            for found in validate_answers(questionnaire, &row.answers) {
                if matches!(found.kind, ProblemKind::Required | ProblemKind::NotRelevant) {
                    continue;
                }
                let label = questionnaire.question(&found.question).map(|q| q.label.clone());
                let label = label.unwrap_or_else(|| Localized::new(found.question.as_str(), found.question.as_str()));
                problems.push(Localized::new(
                    format!("«{}»: {}", label.ru, found.message.ru),
                    format!("“{}”: {}", label.en, found.message.en),
                ));
            }
            row.questionnaire = Some(QuestionnaireRef { id: questionnaire.id, version: questionnaire.version });
        }
        match (lat, lon) {
            (Some(lat), Some(lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {
                row.location = Some((lat, lon));
            }
            (Some(lat), Some(lon)) => problems.push(Localized::new(
                format!("Координаты {lat}, {lon} не на земном шаре"),
                format!("The position {lat}, {lon} is not on the globe"),
            )),
            (Some(_), None) | (None, Some(_)) if !unreadable_position => problems
                .push(Localized::new("Нужны и широта, и долгота", "A position needs both latitude and longitude")),
            _ => {}
        }
        // With the address also in parts, a one-line address column is its street and house.
        let in_parts = mapping.columns.iter().flatten().any(|f| ADDRESS_FIELDS.iter().any(|(part, _)| part == f));
        if in_parts && row.address_parts.line.is_none() {
            row.address_parts.line = row.address.take();
        }
        if row.id.is_none() && row.name.is_none() {
            problems.push(Localized::new("В строке нет названия точки", "The row has no prospect name"));
        }
        // The row becomes one change; past the limit of a change it would be refused when made.
        let text: usize =
            mapping.columns.iter().zip(cells).filter(|(field, _)| field.is_some()).map(|(_, c)| c.len()).sum();
        if text as u64 > MAX_ROW_TEXT_BYTES {
            problems.push(Localized::new(
                format!(
                    "В строке {} КБ текста, а одна строка может занимать не больше {} КБ",
                    text >> 10,
                    MAX_ROW_TEXT_BYTES >> 10
                ),
                format!(
                    "The row holds {} KB of text, and one row may hold at most {} KB",
                    text >> 10,
                    MAX_ROW_TEXT_BYTES >> 10
                ),
            ));
        }
        (row, problems)
    }

    /// What the row says about a prospect, for scoring it against those already there.
    pub fn probe(&self) -> crate::duplicates::DuplicateProbe {
        crate::duplicates::DuplicateProbe {
            name: self.name.clone().unwrap_or_default(),
            address: self.address.clone().unwrap_or_else(|| {
                let parts = &self.address_parts;
                [&parts.line, &parts.city, &parts.region, &parts.postcode, &parts.country]
                    .iter()
                    .filter_map(|p| p.as_deref())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            phones: self.phones.clone(),
            location: self.location.map(|(lat, lon)| Location {
                lat,
                lon,
                accuracy_m: None,
                at: Timestamp::from_unix_millis(0),
            }),
        }
    }

    /// The new prospect this row describes, if it says enough: a name, and a territory (its own
    /// or the import's default).
    pub fn new_prospect(&self, default_territory: Option<TerritoryId>, at: Timestamp) -> Option<NewProspect> {
        let mut address = Address::default();
        if let Some(line) = &self.address {
            address.line = line.clone();
        }
        for part in Address::PARTS {
            if let (Some(slot), Some(Some(value))) = (address.part_mut(part), self.address_parts.part(part)) {
                *slot = value.clone();
            }
        }
        Some(NewProspect {
            territory: self.territory.or(default_territory)?,
            name: self.name.clone()?,
            category: self.category.clone().unwrap_or_default(),
            status: self.status.unwrap_or(Status::New),
            address,
            location: self.location.map(|(lat, lon)| Location { lat, lon, accuracy_m: None, at }),
        })
    }

    /// Every field this row would change in `existing`, with its value before and after.
    pub fn changes(&self, existing: &Prospect) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        let mut changed = |field: ImportField, from: &str, to: &str| {
            if from.trim() != to.trim() {
                changes.push(FieldChange::of(field, from.to_owned(), to.to_owned()));
            }
        };
        if let Some(name) = &self.name {
            changed(ImportField::Name, &existing.name, name);
        }
        if let Some(category) = &self.category {
            changed(ImportField::Category, &existing.category, category);
        }
        if let Some(status) = self.status {
            changed(ImportField::Status, existing.status.as_str(), status.as_str());
        }
        if let Some(territory) = self.territory {
            changed(ImportField::Territory, &existing.territory.to_string(), &territory.to_string());
        }
        if let Some(address) = &self.address {
            // An address on one line is the one an export writes: unchanged when it reads the same.
            changed(ImportField::Address, &existing.address.one_line(), address);
        }
        for (field, part) in ADDRESS_FIELDS {
            if let Some(Some(value)) = self.address_parts.part(part) {
                changed(field, existing.address.part(part).unwrap_or_default(), value);
            }
        }
        if let Some((lat, lon)) = self.location {
            let same = existing.location.is_some_and(|l| (l.lat - lat).abs() < 1e-7 && (l.lon - lon).abs() < 1e-7);
            if !same {
                let before = existing.location.map(|l| format!("{}, {}", l.lat, l.lon)).unwrap_or_default();
                changes.push(FieldChange::of(ImportField::Lat, before, format!("{lat}, {lon}")));
            }
        }
        let known: Vec<String> = existing.contacts.values().filter_map(|c| normalize_phone(&c.phone)).collect();
        // A phone written in words ("call the office") is known by its text.
        let written = |phone: &str| existing.contacts.values().any(|c| c.phone.trim() == phone.trim());
        let new_phone = |phone: &&String| match normalize_phone(phone) {
            Some(number) => !known.contains(&number),
            None => !written(phone),
        };
        for phone in self.phones.iter().filter(new_phone) {
            changes.push(FieldChange::of(ImportField::Phone, String::new(), phone.clone()));
        }
        let person = [&self.contact.name, &self.contact.role, &self.contact.email].iter().any(|s| !s.is_empty());
        if person && self.phones.is_empty() && !existing.contacts.values().any(|c| same_contact(c, &self.contact)) {
            let who = [&self.contact.name, &self.contact.role, &self.contact.email]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            changes.push(FieldChange::of(ImportField::ContactName, String::new(), who.trim().into()));
        }
        for tag in self.tags.iter().filter(|t| !existing.tags.contains(t.as_str())) {
            changes.push(FieldChange::of(ImportField::Tags, String::new(), tag.clone()));
        }
        if let Some(notes) = &self.notes
            && !existing.notes.contains(notes.as_str())
        {
            changes.push(FieldChange::of(ImportField::Notes, existing.notes.clone(), notes.clone()));
        }
        if let Some(questionnaire) = self.questionnaire {
            // The answers are new when the latest visit with this questionnaire says otherwise.
            let latest =
                existing.visits.values().filter(|v| v.questionnaire.id == questionnaire.id).max_by_key(|v| v.at);
            for (question, answer) in &self.answers {
                let before = latest.and_then(|v| v.answers.get(question)).map(|a| a.texts().join(", "));
                let after = answer.texts().join(", ");
                if before.as_deref() != Some(after.as_str()) {
                    changes.push(FieldChange {
                        question: Some(question.clone()),
                        ..FieldChange::of(ImportField::Answer, before.unwrap_or_default(), after)
                    });
                }
            }
        }
        changes
    }
}

const ADDRESS_FIELDS: [(ImportField, &str); 5] = [
    (ImportField::AddressLine, "line"),
    (ImportField::City, "city"),
    (ImportField::Region, "region"),
    (ImportField::Postcode, "postcode"),
    (ImportField::Country, "country"),
];

fn same_contact(a: &Contact, b: &Contact) -> bool {
    let same = |x: &str, y: &str| !x.trim().is_empty() && x.trim().eq_ignore_ascii_case(y.trim());
    same(&a.email, &b.email)
        || (b.email.is_empty() && same(&a.name, &b.name))
        || (b.email.is_empty() && b.name.is_empty() && a.name.is_empty() && same(&a.role, &b.role))
}

/// One field a row changes.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: ImportField,
    /// The question, for a changed answer.
    pub question: Option<QuestionId>,
    pub from: String,
    pub to: String,
}

impl FieldChange {
    fn of(field: ImportField, from: String, to: String) -> FieldChange {
        FieldChange { field, question: None, from, to }
    }
}

impl ProspectEditor<'_> {
    /// Writes what `row` changes in this prospect (see [`ImportRow::changes`]); new phones and
    /// people become new contacts, and new answers one visit, with ids from `new_id`.
    pub fn import_row(
        &mut self,
        row: &ImportRow,
        at: Timestamp,
        new_id: &mut dyn FnMut() -> [u8; 16],
    ) -> Result<(), DocumentError> {
        let existing = self.read();
        self.import_row_onto(row, at, new_id, &existing)
    }

    /// [`ProspectEditor::import_row`] for a prospect known to stand as `existing`: a prospect
    /// just created from [`ImportRow::new_prospect`] need not be read back to be compared.
    pub fn import_row_onto(
        &mut self,
        row: &ImportRow,
        at: Timestamp,
        new_id: &mut dyn FnMut() -> [u8; 16],
        existing: &Prospect,
    ) -> Result<(), DocumentError> {
        let changes = row.changes(existing);
        let mut contact_ids = || ContactId::from_bytes(new_id());
        for change in &changes {
            match change.field {
                ImportField::Name => self.set_name(&change.to)?,
                ImportField::Category => self.set_category(&change.to)?,
                ImportField::Status => self.set_status(row.status.unwrap_or(existing.status))?,
                ImportField::Territory => {
                    if let Some(territory) = row.territory {
                        self.set_territory(territory)?;
                    }
                }
                ImportField::Address => {
                    self.set_address(&AddressPatch {
                        line: Some(change.to.clone()),
                        city: Some(String::new()),
                        region: Some(String::new()),
                        postcode: Some(String::new()),
                        country: Some(String::new()),
                    })?;
                }
                ImportField::AddressLine
                | ImportField::City
                | ImportField::Region
                | ImportField::Postcode
                | ImportField::Country => {
                    let mut patch = AddressPatch::default();
                    if let Some((_, part)) = ADDRESS_FIELDS.iter().find(|(f, _)| *f == change.field)
                        && let Some(slot) = patch.part_mut(part)
                    {
                        *slot = Some(change.to.clone());
                    }
                    self.set_address(&patch)?;
                }
                ImportField::Lat | ImportField::Lon => {
                    if let Some((lat, lon)) = row.location {
                        self.set_location(&Location { lat, lon, accuracy_m: None, at })?;
                    }
                }
                ImportField::Phone => {
                    let contact = Contact { phone: change.to.clone(), ..row.contact.clone() };
                    self.add_contact(contact_ids(), &contact)?;
                }
                ImportField::ContactName | ImportField::ContactRole | ImportField::Email => {
                    self.add_contact(contact_ids(), &row.contact)?;
                }
                ImportField::Tags => self.add_tag(&change.to)?,
                ImportField::Notes => {
                    let joint = if existing.notes.trim().is_empty() { "" } else { "\n\n" };
                    self.splice_notes(existing.notes.chars().count(), 0, &format!("{joint}{}", change.to))?;
                }
                ImportField::CensusId | ImportField::Answer => {}
            }
        }
        if let Some(questionnaire) = row.questionnaire
            && changes.iter().any(|c| c.field == ImportField::Answer)
        {
            let visit = Visit {
                id: VisitId::from_bytes(new_id()),
                at,
                agent: self.context().user,
                questionnaire,
                answers: row.answers.clone(),
                location: None,
                outcome: String::new(),
            };
            self.add_visit(&visit)?;
        }
        Ok(())
    }
}

/// A cell read as the answer to `question`: numbers written either way, dates as `2026-05-31`
/// or `31.05.2026`, options by their value or their label in either language.
fn read_answer(question: &Question, text: &str) -> Result<Answer, Localized> {
    let label = &question.label;
    let not = |ru: &str, en: &str| {
        Localized::new(format!("«{text}» — {ru} ({})", label.ru), format!("“{text}” is {en} ({})", label.en))
    };
    let choice = |text: &str| {
        let wanted = text.trim().to_lowercase().replace('ё', "е");
        let choices = question.choices.iter();
        choices
            .clone()
            .find(|c| c.value == text.trim())
            .or_else(|| {
                choices.clone().find(|c| {
                    [&c.value, &c.label.ru, &c.label.en].iter().any(|n| n.to_lowercase().replace('ё', "е") == wanted)
                })
            })
            .map_or_else(|| text.trim().to_owned(), |c| c.value.clone())
    };
    match question.kind {
        QuestionType::Date => read_date(text).map(Answer::Date).ok_or_else(|| not("не дата", "not a date")),
        QuestionType::SelectOne => Ok(Answer::SelectOne(choice(text))),
        QuestionType::SelectMany => Ok(Answer::SelectMany(split_list(text).iter().map(|t| choice(t)).collect())),
        QuestionType::Integer => read_number(text)
            .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)
            .map(|n| Answer::Integer(n as i64))
            .ok_or_else(|| not("не целое число", "not a whole number")),
        QuestionType::Decimal => read_number(text).map(Answer::Decimal).ok_or_else(|| not("не число", "not a number")),
        QuestionType::Photo => Err(Localized::new(
            format!("Фотографии не импортируются из таблицы ({})", label.ru),
            format!("Photos cannot be imported from a spreadsheet ({})", label.en),
        )),
        kind => Answer::from_text(kind, text).map_err(|_| not("не координаты", "not a position")),
    }
}

/// A date as `YYYY-MM-DD`, read from that form (a time after it is dropped) or from
/// `DD.MM.YYYY` and `DD/MM/YYYY`, as Russian spreadsheets write it; `None` if it is not a real
/// date.
pub fn read_date(text: &str) -> Option<String> {
    let text = text.trim();
    let day = text.split_once(' ').map_or(text, |(day, _)| day);
    let iso = match day.split(['.', '/']).collect::<Vec<_>>().as_slice() {
        [d, m, y] if y.len() == 4 && d.len() <= 2 && m.len() <= 2 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => day.to_owned(),
    };
    parse_date(&iso).map(|_| iso)
}

/// A status by its Census name or its label in either language ("Клиент", "client").
fn read_status(text: &str) -> Option<Status> {
    let wanted = text.trim().to_lowercase().replace('ё', "е");
    Status::ALL.into_iter().find(|s| {
        let label = s.label();
        [s.as_str().to_owned(), label.ru.to_lowercase().replace('ё', "е"), label.en.to_lowercase()].contains(&wanted)
    })
}

fn find_territory(text: &str, territories: &[Territory]) -> Option<TerritoryId> {
    let wanted = text.trim().to_lowercase();
    territories.iter().find(|t| t.name.trim().to_lowercase() == wanted || t.id.to_string() == wanted).map(|t| t.id)
}

/// A number written either way: `56.85`, `56,85`, ` 1 250,5 `.
pub fn read_number(text: &str) -> Option<f64> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    let cleaned = if cleaned.contains(',') && !cleaned.contains('.') { cleaned.replace(',', ".") } else { cleaned };
    cleaned.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DeviceId, UserId};
    use crate::prospect_doc::{EditContext, ProspectDoc};

    fn territories() -> Vec<Territory> {
        vec![Territory {
            id: TerritoryId::from_bytes([3; 16]),
            name: "Тверь — Центр".into(),
            planned_prospects: None,
            agents: vec![],
            boundary: vec![],
        }]
    }

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn headers_in_either_language_are_recognised() {
        let headers =
            strings(&["Наименование", "Телефон", "Адрес", "Широта", "Долгота", "Статус", "census_id", "Прочее"]);
        let mapping = ColumnMapping::guess(&headers);
        assert_eq!(
            mapping.columns,
            vec![
                Some(ImportField::Name),
                Some(ImportField::Phone),
                Some(ImportField::Address),
                Some(ImportField::Lat),
                Some(ImportField::Lon),
                Some(ImportField::Status),
                Some(ImportField::CensusId),
                None
            ]
        );
        assert_eq!(mapping.check(), Ok(()));
        let english = ColumnMapping::guess(&strings(&["Name", "E-mail", "ZIP", "Comments", "Name"]));
        assert_eq!(
            english.columns,
            vec![
                Some(ImportField::Name),
                Some(ImportField::Email),
                Some(ImportField::Postcode),
                Some(ImportField::Notes),
                None
            ]
        );
        assert!(ColumnMapping::guess(&strings(&["Телефон"])).check().is_err(), "a name column is needed");
    }

    #[test]
    fn cells_are_read_with_their_problems_in_words() {
        let mapping =
            ColumnMapping::guess(&strings(&["Название", "Статус", "Территория", "Широта", "Долгота", "Телефон"]));
        let context = RowContext { territories: &territories(), default_territory: None, questionnaire: None };
        let (row, problems) = ImportRow::read(
            &strings(&["Ромашка", "Клиент", "тверь — центр", "56,85", "35.9", "8 912 345-67-89; +7 900 000-00-01"]),
            &mapping,
            &context,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(row.status, Some(Status::Client));
        assert_eq!(row.territory, Some(territories()[0].id));
        assert_eq!(row.location, Some((56.85, 35.9)));
        assert_eq!(row.phones.len(), 2);

        let (_, problems) =
            ImportRow::read(&strings(&["", "Почти клиент", "Север", "91", "сорок", ""]), &mapping, &context);
        let said: Vec<&str> = problems.iter().map(|p| p.en.as_str()).collect();
        assert_eq!(
            said,
            [
                "“Почти клиент” is not a status Census knows",
                "There is no territory “Север”",
                "“сорок” is not a number (longitude)",
                "The row has no prospect name"
            ]
        );

        // A row too long to be written as one change is refused before it is written.
        let long = "ж".repeat(300_000);
        let (_, problems) = ImportRow::read(
            &strings(&["Ромашка", "", "", "", "", ""]).into_iter().chain([long]).collect::<Vec<_>>(),
            &ColumnMapping::guess(&strings(&[
                "Название",
                "Статус",
                "Территория",
                "Широта",
                "Долгота",
                "Телефон",
                "Заметки",
            ])),
            &context,
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].en, "The row holds 585 KB of text, and one row may hold at most 512 KB");
    }

    #[test]
    fn a_row_changes_only_what_it_says_differently_and_twice_is_once() {
        let ctx = EditContext::new(UserId::from_bytes([1; 16]), Timestamp::from_unix_millis(1_000));
        let new = NewProspect {
            territory: territories()[0].id,
            name: "Ромашка".into(),
            category: "grocery".into(),
            status: Status::New,
            address: Address { line: "ул. Ленина, 5".into(), city: "Тверь".into(), ..Address::default() },
            location: None,
        };
        let (mut doc, _) =
            ProspectDoc::create(ProspectId::from_bytes([2; 16]), DeviceId::from_bytes([9; 16]), &ctx, &new).unwrap();
        let mapping = ColumnMapping::guess(&strings(&["Название", "Адрес", "Статус", "Телефон", "Метки", "Заметки"]));
        let context = RowContext { territories: &territories(), default_territory: None, questionnaire: None };
        let cells =
            strings(&["Ромашка", "ул. Ленина, 5, Тверь", "client", "+7 912 345-67-89", "сеть", "Склад во дворе"]);
        let (row, _) = ImportRow::read(&cells, &mapping, &context);
        let fields: Vec<ImportField> = row.changes(&doc.read()).iter().map(|c| c.field).collect();
        assert_eq!(fields, [ImportField::Status, ImportField::Phone, ImportField::Tags, ImportField::Notes]);

        let mut ids = counting_ids();
        doc.edit(&ctx, |p| p.import_row(&row, ctx.at, &mut ids)).unwrap();
        let after = doc.read();
        assert_eq!(after.status, Status::Client);
        assert_eq!(after.contacts.len(), 1);
        assert_eq!(after.address.city, "Тверь", "the same address on one line changes nothing");
        assert!(row.changes(&after).is_empty(), "importing the same row again changes nothing");
        assert!(doc.edit(&ctx, |p| p.import_row(&row, ctx.at, &mut ids)).unwrap().is_none());
    }

    #[test]
    fn numbers_are_read_either_way() {
        assert_eq!(read_number("56,85"), Some(56.85));
        assert_eq!(read_number(" 1 250,5 "), Some(1250.5));
        assert_eq!(read_number("-35.9"), Some(-35.9));
        assert_eq!(read_number("NaN"), None);
        assert_eq!(read_number("пять"), None);
    }

    #[test]
    fn a_saved_mapping_maps_a_later_file_by_its_headers() {
        let headers = strings(&["Клиент", "Сотовый", "Город", "Служебное"]);
        let mut mapping = ColumnMapping::guess(&headers);
        assert_eq!(mapping.columns, vec![Some(ImportField::Name), None, Some(ImportField::City), None]);
        // The manager says "Сотовый" is the phone and that "Город" is not to be imported.
        mapping.columns[1] = Some(ImportField::Phone);
        mapping.columns[2] = None;
        let saved = SavedMapping::new("  Выгрузка 1С ", &headers, &mapping).unwrap();
        assert_eq!(saved.name, "Выгрузка 1С");

        // Next month's file: columns moved, one renamed in letter case, one new.
        let later = strings(&["город", "Телефон", "СОТОВЫЙ", "Клиент", "Улица"]);
        assert_eq!(saved.known_columns(&later), 3);
        assert_eq!(
            saved.mapping_for(&later).columns,
            vec![None, None, Some(ImportField::Phone), Some(ImportField::Name), Some(ImportField::AddressLine)],
            "saved columns as saved; a new column guessed unless its field is already taken"
        );
    }

    #[test]
    fn a_mapping_is_saved_only_with_a_name_and_when_it_can_import() {
        let headers = strings(&["Название", "Телефон"]);
        let mapping = ColumnMapping::guess(&headers);
        assert_eq!(SavedMapping::new(" ", &headers, &mapping).unwrap_err().en, "Give the mapping a name");
        let nothing = ColumnMapping { columns: vec![None, Some(ImportField::Phone)], questions: vec![] };
        assert!(SavedMapping::new("база", &headers, &nothing).is_err());
    }

    #[test]
    fn fields_have_the_names_files_and_the_command_line_use() {
        for field in ImportField::ALL {
            assert_eq!(serde_json::to_value(field).unwrap(), field.key());
            assert_eq!(ImportField::from_key(field.key()), Some(field));
        }
        assert_eq!(ImportField::from_key("telephone"), None);
    }

    /// Ids 1, 2, 3... for the contacts and visits an import adds.
    fn counting_ids() -> impl FnMut() -> [u8; 16] {
        let mut next = 0u8;
        move || {
            next += 1;
            [next; 16]
        }
    }

    fn qid(id: &str) -> QuestionId {
        QuestionId::new(id).unwrap()
    }

    fn survey() -> Questionnaire {
        let label = |ru: &str, en: &str| Localized::new(ru, en);
        Questionnaire {
            id: crate::ids::QuestionnaireId::from_bytes([4; 16]),
            version: 2,
            title: label("Перепись", "Census"),
            questions: vec![
                Question {
                    min: Some(1.0),
                    required: true,
                    ..Question::new(qid("staff"), QuestionType::Integer, label("Штат", "Staff"))
                },
                Question::new(qid("opened"), QuestionType::Date, label("Дата открытия", "Opened on")),
                Question {
                    choices: vec![
                        crate::questionnaire::Choice { value: "yes".into(), label: label("Да", "Yes") },
                        crate::questionnaire::Choice { value: "no".into(), label: label("Нет", "No") },
                    ],
                    ..Question::new(qid("delivery"), QuestionType::SelectOne, label("Доставка", "Delivery"))
                },
                Question {
                    required: true,
                    ..Question::new(qid("owner"), QuestionType::Text, label("Владелец", "Owner"))
                },
            ],
        }
    }

    #[test]
    fn answer_columns_are_found_by_their_questions_and_read_with_their_problems() {
        let survey = survey();
        let headers = strings(&["Название", "Штат", "Дата открытия", "delivery", "Прочее"]);
        let mapping = ColumnMapping::guess_with(&headers, Some(&survey));
        assert_eq!(
            mapping.columns,
            [
                Some(ImportField::Name),
                Some(ImportField::Answer),
                Some(ImportField::Answer),
                Some(ImportField::Answer),
                None
            ]
        );
        assert_eq!(mapping.question(2), Some(&qid("opened")));
        assert_eq!(questionnaire_for(&headers, std::slice::from_ref(&survey)).map(|q| q.version), Some(2));
        assert!(questionnaire_for(&strings(&["Название", "Телефон"]), std::slice::from_ref(&survey)).is_none());
        assert_eq!(mapping.check(), Ok(()));
        let context = RowContext { territories: &territories(), default_territory: None, questionnaire: Some(&survey) };

        // Dates either way, options by their label; the unanswered required "owner" is not asked for.
        let (row, problems) = ImportRow::read(&strings(&["Ромашка", "12", "5.3.2024", "да", ""]), &mapping, &context);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            row.answers,
            BTreeMap::from([
                (qid("staff"), Answer::Integer(12)),
                (qid("opened"), Answer::Date("2024-03-05".into())),
                (qid("delivery"), Answer::SelectOne("yes".into())),
            ])
        );
        assert_eq!(row.questionnaire, Some(QuestionnaireRef { id: survey.id, version: 2 }));

        let (_, problems) =
            ImportRow::read(&strings(&["Колос", "0", "31.02.2024", "может быть", ""]), &mapping, &context);
        let problems: Vec<&str> = problems.iter().map(|p| p.en.as_str()).collect();
        assert_eq!(problems[0], "“31.02.2024” is not a date (Opened on)");
        assert!(problems[1].starts_with("“Staff”: "), "{problems:?}");
        assert!(problems[2].starts_with("“Delivery”: "), "{problems:?}");
        assert_eq!(problems.len(), 3);
        let (_, problems) = ImportRow::read(&strings(&["Уют", "двенадцать", "", "", ""]), &mapping, &context);
        assert_eq!(problems[0].ru, "«двенадцать» — не целое число (Штат)");

        let unanswered =
            ColumnMapping { columns: vec![Some(ImportField::Name), Some(ImportField::Answer)], questions: vec![] };
        assert!(unanswered.check().unwrap_err().en.starts_with("Choose the question that column 2 answers"));
    }

    #[test]
    fn new_answers_become_one_visit_and_the_same_answers_again_change_nothing() {
        let survey = survey();
        let ctx = EditContext::new(UserId::from_bytes([8; 16]), Timestamp::from_unix_millis(5_000));
        let new = NewProspect {
            territory: TerritoryId::from_bytes([3; 16]),
            name: "Ромашка".into(),
            category: String::new(),
            status: Status::New,
            address: Address::default(),
            location: None,
        };
        let (mut doc, _) =
            ProspectDoc::create(ProspectId::from_bytes([2; 16]), DeviceId::from_bytes([9; 16]), &ctx, &new).unwrap();
        let mapping = ColumnMapping::guess_with(&strings(&["Название", "Штат", "Доставка"]), Some(&survey));
        let context = RowContext { territories: &territories(), default_territory: None, questionnaire: Some(&survey) };
        let (row, _) = ImportRow::read(&strings(&["Ромашка", "12", "Нет"]), &mapping, &context);
        let changes = row.changes(&doc.read());
        assert_eq!(changes.len(), 2);
        assert_eq!(
            (changes[0].question.as_ref().map(QuestionId::as_str), changes[0].to.as_str()),
            (Some("delivery"), "no")
        );

        let mut ids = counting_ids();
        doc.edit(&ctx, |p| p.import_row(&row, ctx.at, &mut ids)).unwrap();
        let after = doc.read();
        let visit = after.visits.values().next().expect("the answers were recorded as a visit");
        assert_eq!((visit.agent, visit.at, visit.answers.len()), (ctx.user, ctx.at, 2));
        assert!(row.changes(&after).is_empty(), "the same answers again change nothing");

        // One answer changed: a new visit with the row's answers.
        let (row, _) = ImportRow::read(&strings(&["Ромашка", "14", "Нет"]), &mapping, &context);
        let changes = row.changes(&after);
        assert_eq!((changes.len(), changes[0].from.as_str(), changes[0].to.as_str()), (1, "12", "14"));
        let later = EditContext::new(ctx.user, Timestamp::from_unix_millis(9_000));
        doc.edit(&later, |p| p.import_row(&row, later.at, &mut ids)).unwrap();
        assert_eq!(doc.read().visits.len(), 2);
        assert!(row.changes(&doc.read()).is_empty());
    }

    #[test]
    fn a_new_prospect_reads_as_the_import_expects_it_without_being_read() {
        let ctx = EditContext::new(UserId::from_bytes([8; 16]), Timestamp::from_unix_millis(5_000));
        let new = NewProspect {
            territory: TerritoryId::from_bytes([3; 16]),
            name: " Ромашка ".into(),
            category: "grocery ".into(),
            status: Status::Visited,
            address: Address { line: " ул. Ленина, 5".into(), city: "Тверь".into(), ..Address::default() },
            location: Some(Location { lat: 56.85, lon: 35.9, accuracy_m: None, at: ctx.at }),
        };
        let id = ProspectId::from_bytes([2; 16]);
        let (doc, _) = ProspectDoc::create(id, DeviceId::from_bytes([9; 16]), &ctx, &new).unwrap();
        assert_eq!(ProspectDoc::as_created(id, &ctx, &new), doc.read());
    }

    #[test]
    fn dates_are_read_as_spreadsheets_write_them() {
        assert_eq!(read_date("2024-03-05").as_deref(), Some("2024-03-05"));
        assert_eq!(read_date("2024-03-05 14:30:00").as_deref(), Some("2024-03-05"));
        assert_eq!(read_date("05.03.2024").as_deref(), Some("2024-03-05"));
        assert_eq!(read_date("5/3/2024").as_deref(), Some("2024-03-05"));
        assert_eq!(read_date("29.02.2023"), None);
        assert_eq!(read_date("вчера"), None);
    }
}
