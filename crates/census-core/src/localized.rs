//! Text in the two languages Census speaks. Messages meant for people (validation problems,
//! question labels, status names) carry both, and the front end picks one.

use serde::{Deserialize, Serialize};

/// The languages of the user interface.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ru,
    En,
}

/// One text in Russian and in English.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Localized {
    pub ru: String,
    pub en: String,
}

impl Localized {
    pub fn new(ru: impl Into<String>, en: impl Into<String>) -> Self {
        Localized { ru: ru.into(), en: en.into() }
    }

    /// The text in `language`, falling back to the other language when it is empty.
    pub fn get(&self, language: Language) -> &str {
        let (first, second) = match language {
            Language::Ru => (&self.ru, &self.en),
            Language::En => (&self.en, &self.ru),
        };
        if first.is_empty() { second } else { first }
    }
}
