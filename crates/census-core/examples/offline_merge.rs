//! Two field agents, two offline devices, one shop. Each edits the prospect without a network;
//! then their changes meet. Every visit and contact survives, and the field both changed is shown
//! as a conflict with who set each value, until a manager picks one.
//!
//! Run: `cargo run -p census-core --example offline_merge`

use std::collections::BTreeMap;

use census_core::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (anna, boris, manager) =
        (UserId::from_bytes([1; 16]), UserId::from_bytes([2; 16]), UserId::from_bytes([3; 16]));
    let (tablet, phone) = (DeviceId::from_bytes([0xa1; 16]), DeviceId::from_bytes([0xb2; 16]));
    let at = |minutes: i64| Timestamp::from_unix_millis(1_795_800_000_000 + minutes * 60_000);
    let id = ProspectId::new_v7(at(0), [7; 10]);

    println!("Anna's tablet records a new shop.");
    let new = NewProspect {
        territory: TerritoryId::from_bytes([9; 16]),
        name: "Ромашка".into(),
        category: "grocery".into(),
        status: Status::New,
        address: Address { line: "ул. Ленина, 5".into(), city: "Тверь".into(), ..Address::default() },
        location: Some(Location { lat: 56.8587, lon: 35.9176, accuracy_m: Some(6.0), at: at(0) }),
    };
    let (mut on_tablet, first) = ProspectDoc::create(id, tablet, &EditContext::new(anna, at(0)), &new)?;

    println!("Boris's phone receives it, then both go offline and keep working.\n");
    let mut on_phone = ProspectDoc::from_changes(id, &[&first.bytes], phone)?;

    let shop_size = QuestionId::new("shop_size")?;
    let from_tablet = on_tablet.edit(&EditContext::new(anna, at(30)), |p| {
        p.set_name("Ромашка у вокзала")?;
        p.add_contact(
            ContactId::from_bytes([0x11; 16]),
            &Contact {
                name: "Ирина".into(),
                role: "owner".into(),
                phone: "+7 910 111 22 33".into(),
                ..Contact::default()
            },
        )?;
        p.add_visit(&Visit {
            id: VisitId::from_bytes([0x21; 16]),
            at: at(30),
            agent: anna,
            questionnaire: QuestionnaireRef { id: QuestionnaireId::from_bytes([5; 16]), version: 1 },
            answers: BTreeMap::from([(shop_size.clone(), Answer::Integer(40))]),
            location: None,
            outcome: "owner met".into(),
        })?;
        p.set_notes("Opens at 8.")
    })?;
    let from_phone = on_phone.edit(&EditContext::new(boris, at(45)), |p| {
        p.set_name("Ромашка (мини-маркет)")?;
        p.set_status(Status::Interested)?;
        p.add_contact(
            ContactId::from_bytes([0x12; 16]),
            &Contact { name: "Олег".into(), role: "manager".into(), ..Contact::default() },
        )?;
        p.set_notes("Closed on Sundays.")
    })?;

    println!("Back online: each device receives the other's change.");
    for (doc, change) in [(&mut on_tablet, &from_phone), (&mut on_phone, &from_tablet)] {
        if let Some(change) = change {
            doc.apply_changes(&[&change.bytes])?;
        }
    }
    let merged = on_tablet.read();
    assert_eq!(merged, on_phone.read(), "both devices hold the same prospect");
    println!("Merged prospect (the same on both devices):");
    println!("  name:     {}", merged.name);
    println!("  status:   {}", merged.status);
    println!("  address:  {}", merged.address.one_line());
    println!(
        "  contacts: {}",
        merged.contacts.values().map(|c| format!("{} ({})", c.name, c.role)).collect::<Vec<_>>().join(", ")
    );
    println!("  visits:   {}", merged.visits.len());
    println!("  notes:    {:?}", merged.notes);

    let conflicts = on_tablet.conflicts();
    println!("\nConflicts found: {}", conflicts.len());
    let who = |user: Option<UserId>| match user {
        Some(u) if u == anna => "Anna",
        Some(u) if u == boris => "Boris",
        _ => "someone",
    };
    for conflict in &conflicts {
        println!("  {}:", conflict.path);
        for value in &conflict.values {
            let device = value.device.map(|d| d.to_string()).unwrap_or_else(|| value.actor.clone());
            println!("    {} set by {} at {} on device {}", value.value, who(value.user), value.at, device);
        }
    }

    if let Some(conflict) = conflicts.first() {
        let pick = conflict.values[0].value.clone();
        println!("\nThe manager picks {pick} for {}.", conflict.path);
        let resolution = on_tablet.edit(&EditContext::new(manager, at(120)), |p| p.resolve(&conflict.path, &pick))?;
        if let Some(change) = resolution {
            on_phone.apply_changes(&[&change.bytes])?;
        }
        println!(
            "After the resolution reaches both devices: name {:?}, conflicts left: {}",
            on_phone.read().name,
            on_phone.conflicts().len()
        );
    }
    Ok(())
}
