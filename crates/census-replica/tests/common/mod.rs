//! What the replica's tests share: a clock, a territory, a prospect, a questionnaire, a visit.

#![allow(dead_code, reason = "each test file uses its own part")]
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::BTreeMap;

use census_core::*;
use census_replica::Replica;

pub(crate) const T0: i64 = 1_795_800_000_000;

/// The person who manages: reviews, merges, sets apart and deletes. Everyone else is an agent.
pub(crate) const MANAGER: u8 = 9;

pub(crate) fn ctx(user: u8, at: i64) -> EditContext {
    let role = if user == MANAGER { Role::Manager } else { Role::Agent };
    EditContext::new(UserId::from_bytes([user; 16]), Timestamp::from_unix_millis(T0 + at)).with_role(role)
}

pub(crate) fn territory() -> TerritoryId {
    TerritoryId::from_bytes([9; 16])
}

pub(crate) fn new_prospect(name: &str, lat: f64, lon: f64) -> NewProspect {
    NewProspect {
        territory: territory(),
        name: name.into(),
        category: "grocery".into(),
        status: Status::New,
        address: Address { line: "ул. Ленина, 5".into(), city: "Тверь".into(), ..Address::default() },
        location: Some(Location { lat, lon, accuracy_m: None, at: Timestamp::from_unix_millis(T0) }),
    }
}

/// A one-question census: staff, a whole number of at least 1.
pub(crate) fn questionnaire(version: u32) -> Questionnaire {
    Questionnaire {
        id: QuestionnaireId::from_bytes([5; 16]),
        version,
        title: Localized::new("Перепись", "Census"),
        questions: vec![Question {
            required: true,
            min: Some(1.0),
            ..Question::new(QuestionId::new("staff").unwrap(), QuestionType::Integer, Localized::new("Штат", "Staff"))
        }],
    }
}

/// A visit on version 1 of [`questionnaire`].
pub(crate) fn visit(n: u8, staff: i64) -> Visit {
    Visit {
        id: VisitId::from_bytes([n; 16]),
        at: Timestamp::from_unix_millis(T0 + 100),
        agent: UserId::from_bytes([1; 16]),
        questionnaire: QuestionnaireRef { id: QuestionnaireId::from_bytes([5; 16]), version: 1 },
        answers: BTreeMap::from([(QuestionId::new("staff").unwrap(), Answer::Integer(staff))]),
        location: None,
        outcome: String::new(),
    }
}

/// Everything in a replica's outbox, as another device would receive it.
pub(crate) fn outgoing(replica: &Replica) -> Vec<(ProspectId, Vec<u8>)> {
    replica.outbox(100_000).unwrap().into_iter().map(|e| (e.prospect, e.bytes)).collect()
}

/// The territory's name the import tests' sheets use.
pub(crate) const TERRITORY_NAME: &str = "Тверь — Центр";

/// A replica at `path` that knows the territory and the questionnaire the import tests' sheets
/// name.
pub(crate) fn replica_for_imports(path: &std::path::Path) -> Replica {
    let mut replica = Replica::create(path, DeviceId::from_bytes([1; 16])).unwrap();
    let directory = Directory {
        people: vec![],
        territories: vec![Territory {
            id: territory(),
            name: TERRITORY_NAME.into(),
            planned_prospects: None,
            agents: vec![],
            boundary: vec![],
        }],
        questionnaires: vec![survey()],
    };
    replica.cache_directory(&directory).unwrap();
    replica
}

/// The questionnaire the answer columns of the import tests' sheets answer.
pub(crate) fn survey() -> Questionnaire {
    let id = |id: &str| QuestionId::new(id).unwrap();
    Questionnaire {
        id: QuestionnaireId::from_bytes([6; 16]),
        version: 3,
        title: Localized::new("Перепись", "Census"),
        questions: vec![
            Question {
                min: Some(1.0),
                required: true,
                ..Question::new(id("staff"), QuestionType::Integer, Localized::new("Штат", "Staff"))
            },
            Question::new(id("opened"), QuestionType::Date, Localized::new("Дата открытия", "Opened on")),
        ],
    }
}
