//! The synthetic base the benchmarks share: prospects spread over territories, a census
//! questionnaire with the usual question types, and visits answering it. Deterministic: prospect
//! `n` is always the same.

use census_core::*;

use crate::census_answers;

/// The moment the base is created at.
pub const T0: i64 = 1_795_800_000_000;
pub const TERRITORIES: usize = 20;
pub const NAMES: [&str; 12] = [
    "Ромашка",
    "Пятёрочка",
    "Продукты",
    "Аптека",
    "Колос",
    "Berry Market",
    "Fresh Point",
    "Уют",
    "Светлана",
    "Hermes",
    "Каравай",
    "Огонёк",
];
pub const STREETS: [&str; 10] = [
    "ул. Ленина",
    "пр. Мира",
    "ул. Гагарина",
    "Садовая ул.",
    "ул. Победы",
    "Lenin street",
    "ул. Пушкина",
    "Заводская ул.",
    "ул. Кирова",
    "Набережная",
];
pub const CATEGORIES: [&str; 5] = ["grocery", "pharmacy", "kiosk", "cafe", "supermarket"];

pub fn id_bytes(kind: u8, n: usize) -> [u8; 16] {
    let mut bytes = [kind; 16];
    bytes[8..].copy_from_slice(&(n as u64).to_be_bytes());
    bytes
}

fn question(id: &str, kind: QuestionType) -> Question {
    Question::new(QuestionId::new(id).expect("a valid question id"), kind, Localized::new(id, id))
}

pub fn questionnaire() -> Questionnaire {
    let choices = |values: &[&str]| {
        values.iter().map(|v| Choice { value: (*v).into(), label: Localized::new(*v, *v) }).collect::<Vec<_>>()
    };
    Questionnaire {
        id: QuestionnaireId::from_bytes([4; 16]),
        version: 1,
        title: Localized::new("Перепись точек", "Outlet census"),
        questions: vec![
            Question {
                required: true,
                min: Some(1.0),
                max: Some(10_000.0),
                ..question("shop_size", QuestionType::Integer)
            },
            Question {
                choices: choices(&["grocery", "pharmacy", "kiosk"]),
                ..question("shop_type", QuestionType::SelectOne)
            },
            Question { choices: choices(&["alpha", "beta", "gamma"]), ..question("brands", QuestionType::SelectMany) },
            Question {
                choices: choices(&["yes", "no"]),
                required: true,
                ..question("owner_present", QuestionType::SelectOne)
            },
            Question { max_date: Some("2026-12-31".into()), ..question("opened", QuestionType::Date) },
            Question { min: Some(0.0), ..question("turnover", QuestionType::Decimal) },
            question("comment", QuestionType::Text),
            question("phone", QuestionType::Phone),
        ],
    }
}

pub fn visit(n: usize, agent: UserId, questionnaire: &Questionnaire) -> Visit {
    let answers = census_answers(n);
    Visit {
        id: VisitId::from_bytes(id_bytes(6, n)),
        at: Timestamp::from_unix_millis(T0 + n as i64),
        agent,
        questionnaire: QuestionnaireRef { id: questionnaire.id, version: questionnaire.version },
        answers,
        location: None,
        outcome: "owner met".into(),
    }
}

pub fn new_prospect(n: usize) -> NewProspect {
    let territory = n % TERRITORIES;
    NewProspect {
        territory: TerritoryId::from_bytes(id_bytes(3, territory)),
        name: format!("{} {}", NAMES[n % NAMES.len()], n % 97),
        category: CATEGORIES[n % CATEGORIES.len()].into(),
        status: [Status::New, Status::Visited, Status::Interested, Status::Client][(n / 3) % 4],
        address: Address {
            line: format!("{}, д. {}", STREETS[(n / 7) % STREETS.len()], n % 150 + 1),
            city: "Тверь".into(),
            ..Address::default()
        },
        // Each territory is a patch of about 3 × 3 km.
        location: Some(Location {
            lat: 56.8 + (territory / 5) as f64 * 0.03 + ((n * 7919) % 1000) as f64 * 3e-5,
            lon: 35.8 + (territory % 5) as f64 * 0.05 + ((n * 104_729) % 1000) as f64 * 5e-5,
            accuracy_m: Some(8.0),
            at: Timestamp::from_unix_millis(T0),
        }),
    }
}
