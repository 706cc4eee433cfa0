//! Merging a duplicate into the prospect that survives it.
//!
//! Nothing an agent recorded is lost in a merge: the survivor takes the duplicate's visits,
//! contacts, tags, photos and notes, and fills its own empty fields (category, address parts,
//! position) from it. The duplicate itself is only marked
//! [`merged_into`](crate::ProspectEditor::mark_merged_into) the survivor, so its document and
//! history stay whole and a merge made in error can be undone by hand.

use crate::duplicates::normalize_phone;
use crate::prospect::{Address, AddressPatch, Contact, Prospect};
use crate::prospect_doc::{DocumentError, ProspectEditor};

/// What a merge brought over to the survivor.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MergeSummary {
    pub visits: u32,
    pub contacts: u32,
    pub photos: u32,
    pub tags: u32,
    pub notes: bool,
    /// Empty fields of the survivor filled from the duplicate.
    pub fields: u32,
}

impl ProspectEditor<'_> {
    /// Brings everything of `duplicate` over to this prospect (see the module's description).
    /// A contact the survivor already has (the same phone or e-mail, or the same name when
    /// neither has a phone or e-mail) is not added twice.
    pub fn absorb(&mut self, duplicate: &Prospect) -> Result<MergeSummary, DocumentError> {
        if duplicate.id == self.read().id {
            return Err(DocumentError::SameProspect);
        }
        let survivor = self.read();
        let mut summary = MergeSummary::default();
        for visit in duplicate.visits.values().filter(|v| !survivor.visits.contains_key(&v.id)) {
            self.add_visit(visit)?;
            summary.visits += 1;
        }
        let mut kept: Vec<&Contact> = survivor.contacts.values().collect();
        for (id, contact) in &duplicate.contacts {
            if survivor.contacts.contains_key(id) || kept.iter().any(|k| same_person(k, contact)) {
                continue;
            }
            self.add_contact(*id, contact)?;
            kept.push(contact);
            summary.contacts += 1;
        }
        for tag in duplicate.tags.difference(&survivor.tags) {
            self.add_tag(tag)?;
            summary.tags += 1;
        }
        for photo in duplicate.photos.values().filter(|p| !survivor.photos.contains_key(&p.sha256)) {
            self.add_photo(photo)?;
            summary.photos += 1;
        }
        let notes = notes_to_bring(&survivor.notes, &duplicate.notes);
        if !notes.is_empty() {
            // Appended rather than replaced, so notes typed meanwhile on another device survive.
            let end = survivor.notes.chars().count();
            let joint = if survivor.notes.trim().is_empty() { "" } else { "\n\n" };
            self.splice_notes(end, 0, &format!("{joint}{notes}"))?;
            summary.notes = true;
        }
        summary.fields = self.fill_empty_fields(&survivor, duplicate)?;
        Ok(summary)
    }

    fn fill_empty_fields(&mut self, survivor: &Prospect, duplicate: &Prospect) -> Result<u32, DocumentError> {
        let mut filled = 0;
        if survivor.category.trim().is_empty() && !duplicate.category.trim().is_empty() {
            self.set_category(&duplicate.category)?;
            filled += 1;
        }
        let mut patch = AddressPatch::default();
        for part in Address::PARTS {
            let (mine, theirs) = (survivor.address.part(part).unwrap_or_default(), duplicate.address.part(part));
            if let (true, Some(theirs), Some(slot)) =
                (mine.trim().is_empty(), theirs.filter(|t| !t.trim().is_empty()), patch.part_mut(part))
            {
                *slot = Some(theirs.to_owned());
                filled += 1;
            }
        }
        self.set_address(&patch)?;
        if let (None, Some(location)) = (&survivor.location, &duplicate.location) {
            self.set_location(location)?;
            filled += 1;
        }
        Ok(filled)
    }
}

/// The duplicate's notes the survivor lacks: all of them, or, when some of their lines are there
/// already (brought by an earlier merge, before more was typed), only the lines that are not.
fn notes_to_bring(survivor: &str, duplicate: &str) -> String {
    let notes = duplicate.trim();
    if notes.is_empty() || survivor.contains(notes) {
        return String::new();
    }
    let lines: Vec<&str> = notes.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let missing: Vec<&str> = lines.iter().copied().filter(|l| !survivor.contains(l)).collect();
    if missing.len() == lines.len() { notes.to_owned() } else { missing.join("\n") }
}

/// The same person at a shop, entered twice: the same phone or e-mail, or the same name when
/// neither entry has a way to reach them.
fn same_person(a: &Contact, b: &Contact) -> bool {
    let phone = |c: &Contact| normalize_phone(&c.phone);
    let email = |c: &Contact| Some(c.email.trim().to_lowercase()).filter(|e| !e.is_empty());
    let name = |c: &Contact| c.name.trim().to_lowercase();
    match (phone(a), phone(b), email(a), email(b)) {
        (Some(pa), Some(pb), _, _) if pa == pb => true,
        (_, _, Some(ea), Some(eb)) if ea == eb => true,
        (None, None, None, None) => !name(a).is_empty() && name(a) == name(b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Role;
    use crate::ids::{ContactId, DeviceId, ProspectId, QuestionnaireId, TerritoryId, UserId, VisitId};
    use crate::prospect::{Location, NewProspect, QuestionnaireRef, Status, Visit};
    use crate::prospect_doc::{EditContext, ProspectDoc};
    use crate::time::Timestamp;

    fn id(n: u8) -> [u8; 16] {
        [n; 16]
    }

    fn shop(n: u8, name: &str, location: Option<(f64, f64)>) -> ProspectDoc {
        let ctx = EditContext::new(UserId::from_bytes(id(1)), Timestamp::from_unix_millis(1_000));
        let new = NewProspect {
            territory: TerritoryId::from_bytes(id(2)),
            name: name.into(),
            category: String::new(),
            status: Status::New,
            address: Address { line: "Ленина 5".into(), ..Address::default() },
            location: location.map(|(lat, lon)| Location {
                lat,
                lon,
                accuracy_m: None,
                at: Timestamp::from_unix_millis(1_000),
            }),
        };
        ProspectDoc::create(ProspectId::from_bytes(id(n)), DeviceId::from_bytes(id(9)), &ctx, &new).unwrap().0
    }

    /// A manager: merges and setting apart are managers' decisions.
    fn ctx() -> EditContext {
        EditContext::new(UserId::from_bytes(id(1)), Timestamp::from_unix_millis(2_000)).with_role(Role::Manager)
    }

    fn contact(name: &str, phone: &str) -> Contact {
        Contact { name: name.into(), phone: phone.into(), ..Contact::default() }
    }

    #[test]
    fn the_survivor_takes_everything_and_keeps_its_own() {
        let mut survivor = shop(10, "Ромашка", None);
        survivor
            .edit(&ctx(), |p| {
                p.add_contact(ContactId::from_bytes(id(20)), &contact("Ольга", "8 912 345-67-89"))?;
                p.set_notes("Открыты до 22:00")
            })
            .unwrap();
        let mut duplicate = shop(11, "ООО Ромашка", Some((56.85, 35.9)));
        duplicate
            .edit(&ctx(), |p| {
                // The same person as the survivor's, written differently; and someone new.
                p.add_contact(ContactId::from_bytes(id(21)), &contact("Ольга Петровна", "+7 912 345 67 89"))?;
                p.add_contact(ContactId::from_bytes(id(22)), &contact("Игорь", "+7 900 000-00-01"))?;
                p.set_category("grocery")?;
                p.add_tag("сеть")?;
                p.set_notes("Владелец бывает по средам")?;
                p.add_visit(&Visit {
                    id: VisitId::from_bytes(id(30)),
                    at: Timestamp::from_unix_millis(1_500),
                    agent: UserId::from_bytes(id(3)),
                    questionnaire: QuestionnaireRef { id: QuestionnaireId::from_bytes(id(4)), version: 1 },
                    answers: Default::default(),
                    location: None,
                    outcome: "owner met".into(),
                })
            })
            .unwrap();
        let taken = duplicate.read();

        let mut summary = MergeSummary::default();
        survivor.edit(&ctx(), |p| p.absorb(&taken).map(|s| summary = s)).unwrap();
        let merged = survivor.read();

        assert_eq!(merged.name, "Ромашка", "the survivor's own fields stay");
        assert_eq!(merged.visits.len(), 1);
        assert_eq!(merged.contacts.len(), 2, "Ольга is not added twice: {:?}", merged.contacts);
        assert!(merged.contacts.values().any(|c| c.name == "Игорь"));
        assert_eq!(merged.category, "grocery", "an empty field is filled");
        assert!(merged.location.is_some());
        assert!(merged.tags.contains("сеть"));
        assert_eq!(merged.notes, "Открыты до 22:00\n\nВладелец бывает по средам");
        assert_eq!(summary, MergeSummary { visits: 1, contacts: 1, photos: 0, tags: 1, notes: true, fields: 2 });

        // Absorbing the same duplicate again changes nothing.
        let again = survivor.edit(&ctx(), |p| p.absorb(&taken).map(|_| ())).unwrap();
        assert!(again.is_none(), "a second merge of the same prospect is a no-op");
    }

    #[test]
    fn a_prospect_cannot_absorb_itself() {
        let mut shop = shop(10, "Ромашка", None);
        let itself = shop.read();
        assert!(matches!(shop.edit(&ctx(), |p| p.absorb(&itself).map(|_| ())), Err(DocumentError::SameProspect)));
    }

    #[test]
    fn set_apart_prospects_remember_each_other() {
        let mut a = shop(10, "Ромашка", None);
        let b = ProspectId::from_bytes(id(11));
        a.edit(&ctx(), |p| p.mark_distinct_from(b)).unwrap();
        assert!(a.read().distinct_from.contains(&b));
        assert!(a.edit(&ctx(), |p| p.mark_distinct_from(b)).unwrap().is_none(), "marking twice is a no-op");
        let own = a.read().id;
        assert!(matches!(a.edit(&ctx(), |p| p.mark_distinct_from(own)), Err(DocumentError::SameProspect)));
    }
}
