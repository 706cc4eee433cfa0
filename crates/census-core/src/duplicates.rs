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
    let (a, b) = (PreparedProbe::new(a), PreparedProbe::new(b));
    let evidence = Evidence::between(&a, &b);
    DuplicateScore { score: evidence.score(), reasons: evidence.reasons() }
}

/// A probe with its texts normalised once, for scoring it against many others.
#[derive(Debug, Clone)]
pub(crate) struct PreparedProbe {
    /// The normalised name: its words in sorted order, as text and as characters.
    name: String,
    name_chars: Vec<char>,
    address_chars: Vec<char>,
    phones: Vec<String>,
    pub(crate) location: Option<Location>,
}

impl PreparedProbe {
    pub(crate) fn new(probe: &DuplicateProbe) -> Self {
        let name = sorted_words(&normalize_name(&probe.name));
        PreparedProbe {
            name_chars: name.chars().collect(),
            name,
            address_chars: sorted_words(&normalize_address(&probe.address)).chars().collect(),
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

/// What two prospects have in common, measured; [`Evidence::score`] weighs it and
/// [`Evidence::reasons`] says it in words. Measuring allocates nothing, so a search can weigh
/// millions of pairs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Evidence<'a> {
    phone: Option<&'a str>,
    name: f64,
    address: f64,
    meters: Option<f64>,
}

impl<'a> Evidence<'a> {
    pub(crate) fn between(a: &'a PreparedProbe, b: &PreparedProbe) -> Evidence<'a> {
        Evidence {
            phone: a.phones.iter().find(|p| b.phones.contains(p)).map(String::as_str),
            name: text_similarity(&a.name_chars, &b.name_chars),
            address: text_similarity(&a.address_chars, &b.address_chars),
            meters: a.location.zip(b.location).map(|(la, lb)| la.distance_m(&lb)),
        }
    }

    fn name_evidence(&self) -> Option<f64> {
        (self.name >= 0.7).then(|| (self.name - 0.7) / 0.3 * 0.7)
    }

    fn address_evidence(&self) -> Option<f64> {
        (self.address >= 0.7).then(|| (self.address - 0.7) / 0.3 * 0.5)
    }

    fn near_evidence(&self) -> Option<f64> {
        match self.meters? {
            m if m <= 30.0 => Some(0.5),
            m if m <= 100.0 => Some(0.35),
            m if m <= 300.0 => Some(0.15),
            _ => None,
        }
    }

    fn far_apart(&self) -> bool {
        self.meters.is_some_and(|m| m > 2_000.0)
    }

    pub(crate) fn score(&self) -> f64 {
        self.score_with(self.address_evidence())
    }

    /// The score with `address` as the address's evidence.
    fn score_with(&self, address: Option<f64>) -> f64 {
        let evidence = [self.phone.map(|_| 0.8), self.name_evidence(), address, self.near_evidence()];
        let mut score = 1.0 - evidence.iter().flatten().fold(1.0, |rest, p| rest * (1.0 - p));
        if self.far_apart() {
            score *= 0.5;
        }
        round2(score)
    }

    /// The score of a pair that scores as a likely duplicate, `None` for any other. Addresses
    /// are compared only when they could make the difference: most pairs a search weighs are
    /// neighbours with other names, which no address can make likely.
    pub(crate) fn likely_score(a: &PreparedProbe, b: &PreparedProbe) -> Option<f64> {
        let mut evidence = Evidence {
            phone: a.phones.iter().find(|p| b.phones.contains(p)).map(String::as_str),
            name: text_similarity(&a.name_chars, &b.name_chars),
            address: 0.0,
            meters: a.location.zip(b.location).map(|(la, lb)| la.distance_m(&lb)),
        };
        if evidence.score_with(Some(0.5)) < LIKELY_DUPLICATE {
            return None;
        }
        evidence.address = text_similarity(&a.address_chars, &b.address_chars);
        Some(evidence.score()).filter(|score| *score >= LIKELY_DUPLICATE)
    }

    pub(crate) fn reasons(&self) -> Vec<DuplicateReason> {
        let mut reasons = Vec::new();
        if let Some(phone) = self.phone {
            reasons.push(DuplicateReason::SamePhone { phone: format!("+{phone}") });
        }
        if self.name_evidence().is_some() {
            reasons.push(DuplicateReason::SimilarName { similarity: round2(self.name) });
        }
        if self.address_evidence().is_some() {
            reasons.push(DuplicateReason::SimilarAddress { similarity: round2(self.address) });
        }
        match self.meters {
            Some(meters) if self.near_evidence().is_some() => {
                reasons.push(DuplicateReason::Near { meters: meters.round() })
            }
            Some(meters) if self.far_apart() => reasons.push(DuplicateReason::FarApart { meters: meters.round() }),
            _ => {}
        }
        reasons
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn sorted_words(text: &str) -> String {
    let mut words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    words.join(" ")
}

/// Characters as strsim's generic measures read them, without decoding UTF-8 again each time.
struct Letters<'a>(&'a [char]);

impl<'a> IntoIterator for &Letters<'a> {
    type Item = &'a char;
    type IntoIter = std::slice::Iter<'a, char>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Similarity of two texts (normalised, words sorted) from 0 to 1: the better of Jaro-Winkler
/// (catches typos; sorting catches reordering) and the share of the shorter text's words found
/// in the longer (catches "Ромашка" against "Магазин Ромашка").
fn text_similarity(a: &[char], b: &[char]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let jaro = strsim::generic_jaro_winkler(&Letters(a), &Letters(b));
    // Containment never scores above 0.95, so it cannot beat a closer match.
    if jaro >= 0.95 {
        return jaro;
    }
    let wa: Vec<&[char]> = a.split(|c| *c == ' ').collect();
    let wb: Vec<&[char]> = b.split(|c| *c == ' ').collect();
    let (short, long) = if wa.len() <= wb.len() { (wa, wb) } else { (wb, wa) };
    let shared = short.iter().filter(|w| long.contains(w)).count() as f64;
    // Containment of a single short word says little ("shop" in "coffee shop"); require two
    // characters per word at least and damp it a little.
    let containment = if short.iter().all(|w| w.len() >= 2) { 0.95 * shared / short.len() as f64 } else { 0.0 };
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
