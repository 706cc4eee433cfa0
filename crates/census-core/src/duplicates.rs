//! Duplicate scoring: is this the same shop entered twice?
//!
//! Two agents walking neighbouring streets, or one agent and an imported spreadsheet, will enter
//! the same prospect twice, spelled differently. [`score_duplicate`] weighs the evidence (same
//! phone, similar name, similar address, close positions) into a score from 0 to 1 and keeps
//! the reasons, so a manager sees why a pair was proposed before merging it.

use serde::{Deserialize, Serialize};

use crate::localized::Localized;
use crate::prospect::{Location, Prospect};

/// A score at or above which a pair is proposed as a likely duplicate.
pub const LIKELY_DUPLICATE: f64 = 0.6;

/// What the scoring looks at in one prospect.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DuplicateProbe {
    pub name: String,
    pub address: String,
    pub phones: Vec<String>,
    pub location: Option<Location>,
}

impl DuplicateProbe {
    pub fn from_prospect(prospect: &Prospect) -> Self {
        DuplicateProbe {
            name: prospect.name.clone(),
            address: prospect.address.one_line(),
            phones: prospect.contacts.values().map(|c| c.phone.clone()).filter(|p| !p.is_empty()).collect(),
            location: prospect.location,
        }
    }
}

/// One piece of evidence for or against two prospects being the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DuplicateReason {
    SamePhone { phone: String },
    SimilarName { similarity: f64 },
    SimilarAddress { similarity: f64 },
    Near { meters: f64 },
    FarApart { meters: f64 },
}

impl DuplicateReason {
    /// The reason in words, for the duplicates screen.
    pub fn describe(&self) -> Localized {
        match self {
            DuplicateReason::SamePhone { phone } => {
                Localized::new(format!("Одинаковый телефон {phone}"), format!("Same phone {phone}"))
            }
            DuplicateReason::SimilarName { similarity } => Localized::new(
                format!("Похожие названия ({:.0}%)", similarity * 100.0),
                format!("Similar names ({:.0}%)", similarity * 100.0),
            ),
            DuplicateReason::SimilarAddress { similarity } => Localized::new(
                format!("Похожие адреса ({:.0}%)", similarity * 100.0),
                format!("Similar addresses ({:.0}%)", similarity * 100.0),
            ),
            DuplicateReason::Near { meters } => {
                Localized::new(format!("Рядом: {meters:.0} м"), format!("Close together: {meters:.0} m"))
            }
            DuplicateReason::FarApart { meters } => Localized::new(
                format!("Далеко друг от друга: {:.1} км", meters / 1000.0),
                format!("Far apart: {:.1} km", meters / 1000.0),
            ),
        }
    }
}

/// How likely two prospects are the same, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateScore {
    /// 0 (surely different) to 1 (surely the same).
    pub score: f64,
    pub reasons: Vec<DuplicateReason>,
}

impl DuplicateScore {
    pub fn is_likely(&self) -> bool {
        self.score >= LIKELY_DUPLICATE
    }
}

/// Scores two prospects as likely the same. Independent pieces of evidence combine as
/// `1 - Π(1 - p)`; positions kilometres apart halve the result, since chains have many shops of
/// one name.
pub fn score_duplicate(a: &DuplicateProbe, b: &DuplicateProbe) -> DuplicateScore {
    score_prepared(&PreparedProbe::new(a), &PreparedProbe::new(b))
}

/// A probe with its texts normalised once, for scoring it against many others.
#[derive(Debug, Clone)]
pub(crate) struct PreparedProbe {
    /// The normalised name's words in sorted order.
    name: String,
    address: String,
    phones: Vec<String>,
    pub(crate) location: Option<Location>,
}

impl PreparedProbe {
    pub(crate) fn new(probe: &DuplicateProbe) -> Self {
        PreparedProbe {
            name: sorted_words(&normalize_name(&probe.name)),
            address: sorted_words(&normalize_address(&probe.address)),
            phones: probe.phones.iter().filter_map(|p| normalize_phone(p)).collect(),
            location: probe.location,
        }
    }

    pub(crate) fn phones(&self) -> &[String] {
        &self.phones
    }

    /// The normalised name, the same for "ООО «Ромашка»" and "ромашка".
    pub(crate) fn name_key(&self) -> &str {
        &self.name
    }
}

pub(crate) fn score_prepared(a: &PreparedProbe, b: &PreparedProbe) -> DuplicateScore {
    let mut reasons = Vec::new();
    let mut evidence: Vec<f64> = Vec::new();

    if let Some(phone) = a.phones.iter().find(|p| b.phones.contains(p)) {
        evidence.push(0.8);
        reasons.push(DuplicateReason::SamePhone { phone: format!("+{phone}") });
    }

    let name = text_similarity(&a.name, &b.name);
    if name >= 0.7 {
        evidence.push((name - 0.7) / 0.3 * 0.7);
        reasons.push(DuplicateReason::SimilarName { similarity: round2(name) });
    }

    let address = text_similarity(&a.address, &b.address);
    if address >= 0.7 {
        evidence.push((address - 0.7) / 0.3 * 0.5);
        reasons.push(DuplicateReason::SimilarAddress { similarity: round2(address) });
    }

    let mut far_apart = false;
    if let (Some(la), Some(lb)) = (&a.location, &b.location) {
        let meters = la.distance_m(lb);
        let near = match meters {
            m if m <= 30.0 => 0.5,
            m if m <= 100.0 => 0.35,
            m if m <= 300.0 => 0.15,
            _ => 0.0,
        };
        if near > 0.0 {
            evidence.push(near);
            reasons.push(DuplicateReason::Near { meters: meters.round() });
        } else if meters > 2_000.0 {
            far_apart = true;
            reasons.push(DuplicateReason::FarApart { meters: meters.round() });
        }
    }

    let mut score = 1.0 - evidence.iter().fold(1.0, |rest, p| rest * (1.0 - p));
    if far_apart {
        score *= 0.5;
    }
    DuplicateScore { score: round2(score), reasons }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn sorted_words(text: &str) -> String {
    let mut words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    words.join(" ")
}

/// Similarity of two texts (normalised, words sorted) from 0 to 1: the better of Jaro-Winkler
/// (catches typos; sorting catches reordering) and the share of the shorter text's words found
/// in the longer (catches "Ромашка" against "Магазин Ромашка").
fn text_similarity(a: &str, b: &str) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let jaro = strsim::jaro_winkler(a, b);
    // Containment never scores above 0.95, so it cannot beat a closer match.
    if jaro >= 0.95 {
        return jaro;
    }
    let (wa, wb) = (a.split(' '), b.split(' '));
    let (short, long): (Vec<&str>, Vec<&str>) = if wa.clone().count() <= wb.clone().count() {
        (wa.collect(), wb.collect())
    } else {
        (wb.collect(), wa.collect())
    };
    let shared = short.iter().filter(|w| long.contains(w)).count() as f64;
    // Containment of a single short word says little ("shop" in "coffee shop"); require two
    // characters per word at least and damp it a little.
    let containment =
        if short.iter().all(|w| w.chars().count() >= 2) { 0.95 * shared / short.len() as f64 } else { 0.0 };
    jaro.max(containment)
}

/// Lower case, `ё` as `е`, punctuation and quotes as spaces, legal forms dropped.
pub fn normalize_name(name: &str) -> String {
    const LEGAL_FORMS: [&str; 14] =
        ["ооо", "оао", "зао", "пао", "ао", "ип", "нко", "llc", "ltd", "inc", "gmbh", "co", "corp", "plc"];
    words(name).filter(|w| !LEGAL_FORMS.contains(&w.as_str())).collect::<Vec<_>>().join(" ")
}

/// Lower case, punctuation dropped, and the usual street-type and house words dropped, so that
/// "ул. Ленина, д. 5" and "Ленина 5" compare equal.
pub fn normalize_address(address: &str) -> String {
    const NOISE: [&str; 22] = [
        "ул",
        "улица",
        "пр",
        "пр-т",
        "проспект",
        "пер",
        "переулок",
        "д",
        "дом",
        "корп",
        "к",
        "стр",
        "г",
        "город",
        "кв",
        "street",
        "st",
        "str",
        "ave",
        "avenue",
        "rd",
        "road",
    ];
    words(address).filter(|w| !NOISE.contains(&w.as_str())).collect::<Vec<_>>().join(" ")
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty() && *w != "-")
        .map(|w| w.to_lowercase().replace('ё', "е"))
}

/// The digits of a phone number in international form without `+`, reading Russian numbers
/// written as `8 9xx` or `9xx` as `7 9xx`. `None` for fewer than 7 digits.
pub fn normalize_phone(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.len() {
        11 if digits.starts_with('8') => format!("7{}", &digits[1..]),
        10 if digits.starts_with('9') => format!("7{digits}"),
        _ => digits,
    };
    (digits.len() >= 7).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn probe(name: &str, address: &str, phone: &str, at: Option<(f64, f64)>) -> DuplicateProbe {
        DuplicateProbe {
            name: name.into(),
            address: address.into(),
            phones: if phone.is_empty() { vec![] } else { vec![phone.into()] },
            location: at.map(|(lat, lon)| Location { lat, lon, accuracy_m: None, at: Timestamp::from_unix_millis(0) }),
        }
    }

    #[test]
    fn same_shop_spelled_differently_is_likely_duplicate() {
        let a = probe("ООО «Ромашка»", "ул. Ленина, д. 5", "8 (912) 345-67-89", Some((55.7558, 37.6173)));
        let b = probe("Ромашка", "Ленина 5", "+7 912 345 67 89", Some((55.7559, 37.6174)));
        let s = score_duplicate(&a, &b);
        assert!(s.is_likely(), "{s:?}");
        assert!(s.reasons.iter().any(|r| matches!(r, DuplicateReason::SamePhone { .. })));
        assert!(s.reasons.iter().any(|r| matches!(r, DuplicateReason::SimilarName { .. })));
        assert!(s.reasons.iter().any(|r| matches!(r, DuplicateReason::SimilarAddress { .. })));
        assert!(s.reasons.iter().any(|r| matches!(r, DuplicateReason::Near { .. })));
    }

    #[test]
    fn different_shops_score_low() {
        let a = probe("Ромашка", "Ленина 5", "+7 912 345 67 89", Some((55.7558, 37.6173)));
        let b = probe("Автосервис Колесо", "Гагарина 12", "+7 495 111 22 33", Some((55.80, 37.70)));
        let s = score_duplicate(&a, &b);
        assert!(s.score < 0.2, "{s:?}");
    }

    #[test]
    fn chain_shops_far_apart_are_damped() {
        let a = probe("Пятёрочка", "Ленина 5", "", Some((55.7558, 37.6173)));
        let b = probe("Пятерочка", "Мира 40", "", Some((55.90, 37.40)));
        let s = score_duplicate(&a, &b);
        assert!(!s.is_likely(), "{s:?}");
        assert!(s.reasons.iter().any(|r| matches!(r, DuplicateReason::FarApart { .. })));
    }

    #[test]
    fn phones_normalise() {
        assert_eq!(normalize_phone("8 (912) 345-67-89").as_deref(), Some("79123456789"));
        assert_eq!(normalize_phone("912 345 67 89").as_deref(), Some("79123456789"));
        assert_eq!(normalize_phone("12-34"), None);
    }

    #[test]
    fn empty_probes_score_zero() {
        let s = score_duplicate(&DuplicateProbe::default(), &DuplicateProbe::default());
        assert_eq!(s.score, 0.0);
        assert!(s.reasons.is_empty());
    }
}
