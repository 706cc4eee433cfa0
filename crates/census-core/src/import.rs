//! Bringing spreadsheet rows in: which column holds which field (guessed from the headers, in
//! Russian or English, and adjustable), each row read into typed fields with its problems in
//! words, and exactly what a row would change in the prospect it matches.
//!
//! An empty cell leaves a field as it is: a sheet that lacks a value says nothing about it. So
//! importing the same file twice changes nothing the second time, and a sheet exported from
//! Census, edited and imported again changes exactly the cells that were edited.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::directory::Territory;
use crate::duplicates::normalize_phone;
use crate::ids::{ProspectId, TerritoryId};
use crate::localized::Localized;
use crate::prospect::{Address, AddressPatch, Contact, Location, NewProspect, Prospect, Status};
use crate::prospect_doc::{DocumentError, ProspectEditor};
use crate::time::Timestamp;

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
}

impl ImportField {
    pub const ALL: [ImportField; 19] = [
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
        }
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

/// Which field each column of a file holds (`None`: not imported).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub columns: Vec<Option<ImportField>>,
}

impl ColumnMapping {
    /// The mapping the headers suggest; a field is taken by its first column only.
    pub fn guess(headers: &[String]) -> ColumnMapping {
        let mut taken = BTreeSet::new();
        let columns = headers.iter().map(|h| ImportField::guess(h).filter(|field| taken.insert(*field))).collect();
        ColumnMapping { columns }
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
        let fields: Vec<ImportField> = self.columns.iter().flatten().copied().collect();
        if let Some(twice) = fields.iter().find(|f| fields.iter().filter(|g| g == f).count() > 1) {
            return Err(Localized::new(
                format!("Поле «{}» выбрано для двух колонок", field_name(*twice).ru),
                format!("The field “{}” is chosen for two columns", field_name(*twice).en),
            ));
        }
        Ok(())
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
}

/// What a row is read against.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'a> {
    pub territories: &'a [Territory],
    /// Where new prospects go when the row names no territory.
    pub default_territory: Option<TerritoryId>,
}

impl ImportRow {
    /// Reads one row's cells through `mapping`; the problems are in words, one per bad cell.
    pub fn read(cells: &[String], mapping: &ColumnMapping, context: &RowContext<'_>) -> (ImportRow, Vec<Localized>) {
        let mut row = ImportRow::default();
        let mut problems = Vec::new();
        let (mut lat, mut lon) = (None, None);
        // A coordinate that cannot be read is reported once, not again as a missing half.
        let mut unreadable_position = false;
        for (field, cell) in mapping.columns.iter().zip(cells) {
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
                ImportField::Tags => row.tags = split_list(value),
                ImportField::Notes => row.notes = Some(value.to_owned()),
            }
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
        if row.id.is_none() && row.name.is_none() {
            problems.push(Localized::new("В строке нет названия точки", "The row has no prospect name"));
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
                changes.push(FieldChange { field, from: from.to_owned(), to: to.to_owned() });
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
                changes.push(FieldChange { field: ImportField::Lat, from: before, to: format!("{lat}, {lon}") });
            }
        }
        let known: Vec<String> = existing.contacts.values().filter_map(|c| normalize_phone(&c.phone)).collect();
        for phone in self.phones.iter().filter(|p| normalize_phone(p).is_none_or(|n| !known.contains(&n))) {
            changes.push(FieldChange { field: ImportField::Phone, from: String::new(), to: phone.clone() });
        }
        let person = !self.contact.name.is_empty() || !self.contact.email.is_empty();
        if person && self.phones.is_empty() && !existing.contacts.values().any(|c| same_contact(c, &self.contact)) {
            let who = [&self.contact.name, &self.contact.email].map(|s| s.as_str()).join(" ");
            changes.push(FieldChange { field: ImportField::ContactName, from: String::new(), to: who.trim().into() });
        }
        for tag in self.tags.iter().filter(|t| !existing.tags.contains(t.as_str())) {
            changes.push(FieldChange { field: ImportField::Tags, from: String::new(), to: tag.clone() });
        }
        if let Some(notes) = &self.notes
            && !existing.notes.contains(notes.as_str())
        {
            changes.push(FieldChange { field: ImportField::Notes, from: existing.notes.clone(), to: notes.clone() });
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
    same(&a.email, &b.email) || (b.email.is_empty() && same(&a.name, &b.name))
}

/// One field a row changes.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: ImportField,
    pub from: String,
    pub to: String,
}

impl ProspectEditor<'_> {
    /// Writes what `row` changes in this prospect (see [`ImportRow::changes`]); new phones and
    /// people become new contacts, with ids from `contact_ids`.
    pub fn import_row(
        &mut self,
        row: &ImportRow,
        at: Timestamp,
        contact_ids: &mut dyn FnMut() -> crate::ids::ContactId,
    ) -> Result<(), DocumentError> {
        let existing = self.read();
        for change in row.changes(&existing) {
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
                ImportField::CensusId => {}
            }
        }
        Ok(())
    }
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
    use crate::ids::{ContactId, DeviceId, UserId};
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
        let context = RowContext { territories: &territories(), default_territory: None };
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
        let context = RowContext { territories: &territories(), default_territory: None };
        let cells =
            strings(&["Ромашка", "ул. Ленина, 5, Тверь", "client", "+7 912 345-67-89", "сеть", "Склад во дворе"]);
        let (row, _) = ImportRow::read(&cells, &mapping, &context);
        let fields: Vec<ImportField> = row.changes(&doc.read()).iter().map(|c| c.field).collect();
        assert_eq!(fields, [ImportField::Status, ImportField::Phone, ImportField::Tags, ImportField::Notes]);

        let mut next = 0u8;
        let mut ids = || {
            next += 1;
            ContactId::from_bytes([next; 16])
        };
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
}
