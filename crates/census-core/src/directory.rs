//! The directory: who works for the company, the territories they survey, and the
//! questionnaires they fill in. The server keeps it; devices keep a copy for working offline.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::ids::{DeviceId, TerritoryId, UserId};
use crate::localized::Localized;
use crate::questionnaire::Questionnaire;
use crate::time::Timestamp;

/// What a person may do: agents survey their territories, managers oversee every prospect,
/// admins manage the directory.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Manager,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "agent" => Ok(Role::Agent),
            "manager" => Ok(Role::Manager),
            "admin" => Ok(Role::Admin),
            _ => Err(format!("\"{text}\" is not a role; use agent, manager or admin")),
        }
    }
}

/// A person who signs in to Census.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: UserId,
    /// The name shown in history and conflicts, e.g. "Анна Смирнова".
    pub name: String,
    pub login: String,
    pub role: Role,
    /// Retired people keep their history but can no longer sign in.
    #[serde(default)]
    pub retired: bool,
}

/// A sales territory: an area surveyed by the agents assigned to it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Territory {
    pub id: TerritoryId,
    pub name: String,
    /// How many prospects the survey is expected to find, for coverage.
    #[serde(default)]
    pub planned_prospects: Option<u32>,
    /// The agents assigned to it.
    #[serde(default)]
    pub agents: Vec<UserId>,
    /// Its outline on the map, as `[latitude, longitude]` corners in order; empty when not
    /// drawn.
    #[serde(default)]
    pub boundary: Vec<[f64; 2]>,
}

/// Most characters of a person's or a territory's name. Every device receives the directory on
/// every sync, so its texts stay short.
pub const MAX_NAME_CHARS: usize = 120;
/// Most characters of a login.
pub const MAX_LOGIN_CHARS: usize = 64;
/// Most characters of a device's name.
pub const MAX_DEVICE_NAME_CHARS: usize = 80;

/// A text the directory keeps, as it keeps it: trimmed, in Unicode's composed form (NFC, so
/// that "й" typed two ways is one name), with no control characters, and at most `max_chars`
/// long. `what` names the text in the refusal ("a person's name").
pub fn directory_text(what: &str, text: &str, max_chars: usize) -> Result<String, String> {
    kept_text(text, max_chars).map_err(|trouble| trouble.english(what))
}

/// [`directory_text`] refused in both languages: `what` names the text in Russian and English
/// (`("название территории", "a territory's name")`).
fn directory_text_in_both(what: (&str, &str), text: &str, max_chars: usize) -> Result<String, Localized> {
    kept_text(text, max_chars).map_err(|trouble| Localized::new(trouble.russian(what.0), trouble.english(what.1)))
}

/// Why a directory text cannot be kept.
enum TextTrouble {
    Control,
    TooLong { max_chars: usize, length: usize },
}

impl TextTrouble {
    fn english(&self, what: &str) -> String {
        match self {
            TextTrouble::Control => format!("{what} may not hold control characters such as line breaks or tabs"),
            TextTrouble::TooLong { max_chars, length } => {
                format!("{what} may have at most {max_chars} characters; this one has {length}")
            }
        }
    }

    fn russian(&self, what: &str) -> String {
        match self {
            TextTrouble::Control => {
                format!("{what} не может содержать управляющие символы, например переносы строк или табуляцию")
            }
            TextTrouble::TooLong { max_chars, length } => {
                format!("{what} может быть не длиннее {max_chars} символов; сейчас символов: {length}")
            }
        }
    }
}

fn kept_text(text: &str, max_chars: usize) -> Result<String, TextTrouble> {
    let clean: String = text.trim().nfc().collect();
    if clean.chars().any(char::is_control) {
        return Err(TextTrouble::Control);
    }
    let length = clean.chars().count();
    if length > max_chars {
        return Err(TextTrouble::TooLong { max_chars, length });
    }
    Ok(clean)
}

/// Most corners a territory's outline may have.
pub const MAX_BOUNDARY_POINTS: usize = 2_000;

impl Territory {
    /// Says, in words (Russian and English), what is wrong with a territory a manager is saving.
    pub fn check(&self) -> Result<(), Localized> {
        if self.name.trim().is_empty() {
            return Err(Localized::new("у территории должно быть название", "a territory needs a name"));
        }
        directory_text_in_both(("название территории", "a territory's name"), &self.name, MAX_NAME_CHARS)?;
        if self.boundary.len() > MAX_BOUNDARY_POINTS {
            return Err(Localized::new(
                format!("в контуре территории может быть не больше {MAX_BOUNDARY_POINTS} углов"),
                format!("an outline may have at most {MAX_BOUNDARY_POINTS} corners"),
            ));
        }
        if !self.boundary.is_empty() && self.boundary.len() < 3 {
            return Err(Localized::new(
                "в контуре территории нужно хотя бы три угла",
                "an outline needs at least three corners",
            ));
        }
        let off_the_globe = |[lat, lon]: &[f64; 2]| !((-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon));
        if let Some([lat, lon]) = self.boundary.iter().find(|p| off_the_globe(p)) {
            return Err(Localized::new(
                format!("угол контура {lat}, {lon} — не на земном шаре: широта от −90 до 90, долгота от −180 до 180"),
                format!("the outline's corner {lat}, {lon} is not on the globe"),
            ));
        }
        Ok(())
    }
}

/// A device as managers see it: whose it is, when it signed in and last synced, and whether
/// it was revoked.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub user: UserId,
    pub login: String,
    pub name: String,
    pub signed_in_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
    pub revoked: bool,
}

/// Someone joining: what a manager types to let them sign in.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    pub login: String,
    pub name: String,
    pub role: Role,
    /// Their first password, which they are told in person.
    pub password: String,
}

impl NewPerson {
    /// Says, in words (Russian and English), what is wrong with the login or the name (the
    /// server checks the password).
    pub fn check(&self) -> Result<(), Localized> {
        let login = self.login.trim();
        if login.is_empty() || login.chars().any(char::is_whitespace) {
            return Err(Localized::new("логин — одно слово, без пробелов", "a login is one word, with no spaces"));
        }
        directory_text_in_both(("логин", "a login"), login, MAX_LOGIN_CHARS)?;
        if self.name.trim().is_empty() {
            return Err(Localized::new("у сотрудника должно быть имя", "a person needs a name"));
        }
        directory_text_in_both(("имя сотрудника", "a person's name"), &self.name, MAX_NAME_CHARS)?;
        Ok(())
    }
}

/// A departing person retired, and the territories they surveyed handed to a successor.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retirement {
    pub login: String,
    /// Who takes their territories over; with none, the territories are left unassigned.
    pub successor: Option<String>,
}

/// What a retirement did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retired {
    pub person: Person,
    /// The territories handed to the successor.
    pub handed_over: Vec<TerritoryId>,
}

/// The directory as a device receives it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    pub people: Vec<Person>,
    pub territories: Vec<Territory>,
    /// Published questionnaire versions; each (id, version) never changes once published.
    pub questionnaires: Vec<Questionnaire>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn territory(boundary: Vec<[f64; 2]>) -> Territory {
        Territory {
            id: TerritoryId::from_bytes([1; 16]),
            name: "Тверь — Центр".into(),
            planned_prospects: Some(400),
            agents: vec![],
            boundary,
        }
    }

    #[test]
    fn a_territory_is_checked_before_it_is_saved() {
        assert_eq!(territory(vec![]).check(), Ok(()));
        assert_eq!(territory(vec![[56.8, 35.8], [56.9, 35.8], [56.9, 36.0]]).check(), Ok(()));
        assert_eq!(
            territory(vec![[56.8, 35.8], [56.9, 35.8]]).check(),
            Err(Localized::new(
                "в контуре территории нужно хотя бы три угла",
                "an outline needs at least three corners"
            ))
        );
        let off = territory(vec![[56.8, 35.8], [96.9, 35.8], [56.9, 36.0]]).check().unwrap_err();
        assert!(off.en.contains("96.9") && off.ru.contains("96.9"), "{off:?}");
        assert_eq!(
            Territory { name: " ".into(), ..territory(vec![]) }.check().unwrap_err().en,
            "a territory needs a name"
        );
        let long = Territory { name: "x".repeat(1_000_000), ..territory(vec![]) }.check().unwrap_err();
        assert_eq!(long.ru, "название территории может быть не длиннее 120 символов; сейчас символов: 1000000");
        assert!(long.en.contains("120"), "{long:?}");
    }

    #[test]
    fn a_new_person_is_checked_in_both_languages() {
        let new = |login: &str, name: &str| NewPerson {
            login: login.into(),
            name: name.into(),
            role: Role::Agent,
            password: "длинный пароль".into(),
        };
        assert_eq!(new("anna", "Анна Смирнова").check(), Ok(()));
        let spaced = new("anna s", "Анна Смирнова").check().unwrap_err();
        assert_eq!(
            (spaced.ru.as_str(), spaced.en.as_str()),
            ("логин — одно слово, без пробелов", "a login is one word, with no spaces")
        );
        let broken = new("anna", "Анна\tСмирнова").check().unwrap_err();
        assert!(broken.ru.starts_with("имя сотрудника не может содержать управляющие символы"), "{broken:?}");
        assert!(broken.en.starts_with("a person's name may not hold control characters"), "{broken:?}");
    }

    #[test]
    fn directory_texts_are_kept_composed_trimmed_and_short() {
        // "й" as "и" and a combining breve, then as one character.
        assert_eq!(directory_text("a name", " Андреи\u{306} ", 10), Ok("Андрей".to_owned()));
        assert!(directory_text("a name", "Анна\nСмирнова", 100).unwrap_err().contains("control"));
        assert_eq!(
            directory_text("a person's name", &"я".repeat(121), MAX_NAME_CHARS),
            Err("a person's name may have at most 120 characters; this one has 121".to_owned())
        );
    }
}
