//! The demo base: people of each role, two territories, a questionnaire, and a few hundred
//! prospects, so that Census can be tried and shown without real data. The prospects are
//! Automerge documents pushed through the same path as any device's changes.
//!
//! The prospects are either made up (shops of Tver, [`made_up_base`]), or the real named
//! businesses of an OpenStreetMap extract, on the streets they are really on
//! (`demo_places.rs`), so that the demo's map shows them where its tiles draw those streets.

use census_core::{
    Address, Condition, DeviceId, EditContext, Localized, Location, Match, NewProspect, Person, ProspectDoc,
    ProspectId, Question, QuestionId, QuestionType, Questionnaire, QuestionnaireId, Role, Status, Territory,
    TerritoryId, Timestamp, UserId,
    wire::{DocKind, PushItem, PushOutcome},
};

use crate::access::Caller;
use crate::auth::hash_password;
use crate::error::StoreError;
use crate::store::{PushedChange, Store};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "census-demo";

const STREETS: [&str; 6] = ["ул. Ленина", "пр. Мира", "ул. Гагарина", "Садовая ул.", "ул. Победы", "ул. Кирова"];
const NAMES: [&str; 8] =
    ["Ромашка", "Продукты 24", "Аптека Здоровье", "Колос", "Berry Market", "Уют", "Каравай", "Огонёк"];
const CATEGORIES: [&str; 4] = ["Продукты", "Аптека", "Киоск", "Кафе"];

fn uuid_like(kind: u8, n: u64) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&[0x01, 0x93, 0x00, 0x00, 0x00, kind]);
    bytes[6] = 0x70; // version 7
    // The top bit of byte 8 marks the RFC 4122 variant.
    bytes[8..].copy_from_slice(&(n | 0x8000_0000_0000_0000).to_be_bytes());
    bytes
}

/// The demo people: (login, name, role).
pub const PEOPLE: [(&str, &str, Role); 4] = [
    ("admin", "Администратор", Role::Admin),
    ("manager", "Мария Управляющая", Role::Manager),
    ("anna", "Анна Смирнова", Role::Agent),
    ("boris", "Борис Петров", Role::Agent),
];

/// The device the demo base's prospects were entered on (never signed in; its id is taken).
pub fn demo_device() -> DeviceId {
    DeviceId::from_bytes(uuid_like(4, 1))
}

pub fn demo_territories() -> [Territory; 2] {
    let agent = |n: u64| UserId::from_bytes(uuid_like(1, n));
    [
        Territory {
            id: TerritoryId::from_bytes(uuid_like(2, 1)),
            name: "Тверь — Центр".into(),
            planned_prospects: Some(250),
            agents: vec![agent(2)],
            boundary: outline(56.848),
        },
        Territory {
            id: TerritoryId::from_bytes(uuid_like(2, 2)),
            name: "Тверь — Заволжье".into(),
            planned_prospects: Some(250),
            agents: vec![agent(3)],
            boundary: outline(56.878),
        },
    ]
}

/// A demo territory's outline: a box around its prospects from latitude `south` up.
fn outline(south: f64) -> Vec<[f64; 2]> {
    let north = south + 0.024;
    vec![[south, 35.898], [south, 35.932], [north, 35.932], [north, 35.898]]
}

pub fn demo_questionnaire() -> Questionnaire {
    let question = |id: &str, kind: QuestionType, ru: &str, en: &str| {
        Question::new(QuestionId::new(id).expect("a valid question id"), kind, Localized::new(ru, en))
    };
    let choice =
        |value: &str, ru: &str, en: &str| census_core::Choice { value: value.into(), label: Localized::new(ru, en) };
    // The owner's contacts are asked for only when the owner is there.
    let owner_present = Condition::Answer {
        question: QuestionId::new("owner_present").expect("a valid question id"),
        matches: Match::Equals("yes".into()),
    };
    Questionnaire {
        id: QuestionnaireId::from_bytes(uuid_like(3, 1)),
        version: 1,
        title: Localized::new("Перепись торговых точек", "Outlet census"),
        questions: vec![
            Question {
                required: true,
                min: Some(1.0),
                max: Some(500.0),
                ..question("staff", QuestionType::Integer, "Сколько сотрудников?", "How many staff?")
            },
            Question {
                required: true,
                choices: vec![choice("yes", "Да", "Yes"), choice("no", "Нет", "No")],
                ..question("owner_present", QuestionType::SelectOne, "Владелец на месте?", "Is the owner present?")
            },
            Question {
                relevant: Some(owner_present.clone()),
                ..question("owner_phone", QuestionType::Phone, "Телефон владельца", "Owner's phone")
            },
            Question {
                relevant: Some(owner_present),
                ..question("owner_email", QuestionType::Email, "Эл. почта владельца", "Owner's e-mail")
            },
            Question {
                choices: vec![
                    choice("alpha", "Альфа", "Alpha"),
                    choice("beta", "Бета", "Beta"),
                    choice("gamma", "Гамма", "Gamma"),
                ],
                ..question("brands", QuestionType::SelectMany, "Какие бренды продаются?", "Which brands are sold?")
            },
            Question {
                min: Some(1.0),
                max: Some(10_000.0),
                ..question("floor_area", QuestionType::Decimal, "Площадь зала, м²", "Sales floor, m²")
            },
            Question {
                min_date: Some("1990-01-01".into()),
                ..question("opened", QuestionType::Date, "Дата открытия", "Opened on")
            },
            question("entrance", QuestionType::Geopoint, "Вход (координаты)", "Entrance (position)"),
            question("shopfront", QuestionType::Photo, "Фото витрины", "Shopfront photo"),
            question("comment", QuestionType::Text, "Комментарий", "Comment"),
        ],
    }
}

/// The demo's territories and their prospects.
#[derive(Debug, Clone)]
pub struct DemoBase {
    /// Centre (Anna's) and the other (Boris's), with the ids of [`demo_territories`].
    pub territories: [Territory; 2],
    pub prospects: Vec<NewProspect>,
}

/// `prospects` made-up shops of Tver, spread over its two territories.
pub fn made_up_base(prospects: u64, now: Timestamp) -> DemoBase {
    let territories = demo_territories();
    let prospects = (0..prospects)
        .map(|n| NewProspect {
            territory: territories[(n % 2) as usize].id,
            name: format!("{} {}", NAMES[(n % 8) as usize], n / 8 + 1),
            category: CATEGORIES[(n % 4) as usize].into(),
            status: demo_status(n),
            address: Address {
                line: format!("{}, д. {}", STREETS[(n % 6) as usize], n % 90 + 1),
                city: "Тверь".into(),
                ..Address::default()
            },
            location: Some(Location {
                lat: 56.85 + (n % 2) as f64 * 0.03 + ((n * 37) % 100) as f64 * 2e-4,
                lon: 35.90 + ((n * 53) % 100) as f64 * 3e-4,
                accuracy_m: Some(10.0),
                at: now,
            }),
        })
        .collect();
    DemoBase { territories, prospects }
}

/// The `n`th demo prospect's status: most not yet worked, some under way, a few won.
pub(crate) fn demo_status(n: u64) -> Status {
    [Status::New, Status::Visited, Status::Interested, Status::Client][(n % 7 % 4) as usize]
}

/// The demo's two territories with other names and outlines (the same ids and agents).
pub(crate) fn territories_named(names: [&str; 2], outlines: [Vec<[f64; 2]>; 2]) -> [Territory; 2] {
    let [mut centre, mut other] = demo_territories();
    let [centre_outline, other_outline] = outlines;
    (centre.name, centre.boundary) = (names[0].into(), centre_outline);
    (other.name, other.boundary) = (names[1].into(), other_outline);
    [centre, other]
}

/// Seeds the demo base into an empty store: the people, `base`'s territories, the
/// questionnaire and `base`'s prospects. Returns how many prospects were stored.
pub fn seed(store: &dyn Store, base: &DemoBase, now: Timestamp) -> Result<u64, StoreError> {
    let hash = hash_password(DEMO_PASSWORD)?;
    for (n, (login, name, role)) in PEOPLE.iter().enumerate() {
        let person = Person {
            id: UserId::from_bytes(uuid_like(1, n as u64)),
            name: (*name).into(),
            login: (*login).into(),
            role: *role,
            retired: false,
        };
        store.add_person(&person, &hash)?;
    }
    for territory in &base.territories {
        store.add_territory(territory)?;
    }
    store.publish_questionnaire(&demo_questionnaire())?;

    // The base as it was before Census: entered by the manager from the old spreadsheet.
    let manager = UserId::from_bytes(uuid_like(1, 1));
    let device = demo_device();
    let caller =
        Caller { user: manager, role: Role::Manager, device, scopes: base.territories.iter().map(|t| t.id).collect() };
    let mut items = Vec::new();
    for (n, new) in base.prospects.iter().enumerate() {
        let ctx = EditContext::new(manager, now).with_source("demo base").with_role(Role::Manager);
        let id = ProspectId::from_bytes(uuid_like(5, n as u64));
        let (_, change) = ProspectDoc::create(id, device, &ctx, new).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let item = PushItem { doc: id, kind: DocKind::Prospect, territory: new.territory, change: change.bytes };
        items.push(PushedChange::inspect(item));
    }
    let outcomes = store.push(&caller, &items, now)?;
    let stored =
        outcomes.iter().filter(|o| matches!(o, PushOutcome::Stored { .. } | PushOutcome::AlreadyStored { .. })).count();
    Ok(stored as u64)
}
