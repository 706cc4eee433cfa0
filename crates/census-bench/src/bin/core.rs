//! The cost of one prospect document: create it, edit it (a census visit with answers, a status
//! and a contact), save it, load it; per prospect, over `--prospects` of them (10,000 by default).

use census_bench::{census_answers, mean_us, option, round2};
use census_core::*;

const T0: i64 = 1_795_800_000_000;

fn id_bytes(kind: u8, n: usize) -> [u8; 16] {
    let mut bytes = [kind; 16];
    bytes[8..].copy_from_slice(&(n as u64).to_be_bytes());
    bytes
}

fn main() -> Result<(), String> {
    let prospects: usize = option("--prospects", 10_000)?;
    let device = DeviceId::from_bytes([1; 16]);
    let agent = UserId::from_bytes([2; 16]);
    let territory = TerritoryId::from_bytes([3; 16]);
    let questionnaire = QuestionnaireRef { id: QuestionnaireId::from_bytes([4; 16]), version: 1 };
    let at = |n: usize| Timestamp::from_unix_millis(T0 + n as i64 * 1000);
    println!("census-bench core: {prospects} prospects, each created, given a visit, saved and loaded");

    let (create_us, mut docs) = mean_us(0..prospects, |n| {
        let new = NewProspect {
            territory,
            name: format!("Магазин «Ромашка» №{n}"),
            category: "grocery".into(),
            status: Status::New,
            address: Address {
                line: format!("ул. Ленина, д. {}", n % 200),
                city: "Москва".into(),
                postcode: "101000".into(),
                ..Address::default()
            },
            location: Some(Location {
                lat: 55.7 + (n % 1000) as f64 * 1e-4,
                lon: 37.6 + (n / 1000) as f64 * 1e-4,
                accuracy_m: Some(6.0),
                at: at(n),
            }),
        };
        let ctx = EditContext::new(agent, at(n));
        ProspectDoc::create(ProspectId::from_bytes(id_bytes(5, n)), device, &ctx, &new).map(|(doc, _)| doc)
    });
    let mut docs: Vec<ProspectDoc> = docs.drain(..).collect::<Result<_, _>>().map_err(|e| e.to_string())?;

    let (edit_us, edits) = mean_us(docs.iter_mut().enumerate(), |(n, doc)| {
        let answers = census_answers(n);
        let visit = Visit {
            id: VisitId::from_bytes(id_bytes(6, n)),
            at: at(n),
            agent,
            questionnaire,
            answers,
            location: None,
            outcome: "owner met".into(),
        };
        doc.edit(&EditContext::new(agent, at(n + 1)), |p| {
            p.add_visit(&visit)?;
            p.set_status(Status::Visited)?;
            p.add_contact(
                ContactId::from_bytes(id_bytes(7, n)),
                &Contact {
                    name: "Анна".into(),
                    role: "owner".into(),
                    phone: "+7 912 345 67 89".into(),
                    email: String::new(),
                },
            )
        })
    });
    edits.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;

    let (save_us, saved) = mean_us(docs.iter_mut(), ProspectDoc::save);
    let saved_bytes = saved.iter().map(Vec::len).sum::<usize>() as f64 / saved.len().max(1) as f64;
    drop(docs);

    let (load_us, loaded) = mean_us(saved.iter().enumerate(), |(n, bytes)| {
        ProspectDoc::load(ProspectId::from_bytes(id_bytes(5, n)), bytes, device)
    });
    let loaded: Vec<ProspectDoc> = loaded.into_iter().collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    if let Some(first) = loaded.first() {
        let p = first.read();
        println!(
            "check: first prospect \"{}\" has {} visit(s) and {} contact(s)",
            p.name,
            p.visits.len(),
            p.contacts.len()
        );
    }

    println!(
        "{}",
        serde_json::json!({
            "prospects": prospects,
            "create_us": round2(create_us),
            "edit_us": round2(edit_us),
            "save_us": round2(save_us),
            "load_us": round2(load_us),
            "saved_bytes": saved_bytes.round(),
        })
    );
    Ok(())
}
