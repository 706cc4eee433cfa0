//! Questionnaires: the census form an agent fills in at each visit.
//!
//! A questionnaire is published in numbered versions; a published version never changes, and
//! every visit names the version it answered. Answers are keyed by stable [`QuestionId`]s, so a
//! question keeps its answers across versions. Checking answers against a version lives in
//! [`crate::validation`].

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

use crate::ids::{QuestionId, QuestionnaireId};
use crate::localized::Localized;

/// One published version of a questionnaire.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Questionnaire {
    pub id: QuestionnaireId,
    pub version: u32,
    pub title: Localized,
    pub questions: Vec<Question>,
}

/// The kinds of question a questionnaire can ask.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    Text,
    Integer,
    Decimal,
    SelectOne,
    SelectMany,
    Date,
    Geopoint,
    Phone,
    Email,
    Photo,
}

impl QuestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Text => "text",
            QuestionType::Integer => "integer",
            QuestionType::Decimal => "decimal",
            QuestionType::SelectOne => "select_one",
            QuestionType::SelectMany => "select_many",
            QuestionType::Date => "date",
            QuestionType::Geopoint => "geopoint",
            QuestionType::Phone => "phone",
            QuestionType::Email => "email",
            QuestionType::Photo => "photo",
        }
    }
}

/// One question.
///
/// `min` and `max` bound the value of `integer` and `decimal` answers, the length in characters
/// of `text`, `phone` and `email` answers, and the number of options picked in `select_many`.
/// `min_date` and `max_date` (`YYYY-MM-DD`) bound `date` answers. `pattern` is a regular
/// expression the whole of a text-like answer must match.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: QuestionId,
    pub label: Localized,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    #[serde(default)]
    pub hint: Option<Localized>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub min_date: Option<String>,
    #[serde(default)]
    pub max_date: Option<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    /// The options of `select_one` and `select_many` questions.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Show (and accept) the question only when this holds of earlier answers.
    #[serde(default)]
    pub relevant: Option<Condition>,
}

impl Question {
    /// A question of the given type with no rules; set the rules with struct update syntax.
    pub fn new(id: QuestionId, kind: QuestionType, label: Localized) -> Self {
        Question {
            id,
            label,
            kind,
            hint: None,
            required: false,
            min: None,
            max: None,
            min_date: None,
            max_date: None,
            pattern: None,
            choices: Vec::new(),
            relevant: None,
        }
    }
}

/// One option of a select question: the stored value and its label.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: Localized,
}

/// A rule over earlier answers that decides whether a question is shown.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The answer to `question` matches.
    Answer { question: QuestionId, matches: Match },
    /// Every condition holds.
    All(Vec<Condition>),
    /// At least one condition holds.
    Any(Vec<Condition>),
}

/// How an answer is compared in a [`Condition`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// Any answer was given.
    Answered,
    /// No answer was given.
    NotAnswered,
    /// The answer, as text, equals this (for `select_many`: the option is among those picked).
    Equals(String),
    /// The answer, as text, is one of these (for `select_many`: any of them was picked).
    OneOf(Vec<String>),
    /// A number at least this.
    AtLeast(f64),
    /// A number at most this.
    AtMost(f64),
}

impl Condition {
    /// Whether the condition holds for these answers. An answer that is absent matches only
    /// `NotAnswered`.
    pub fn holds(&self, answers: &BTreeMap<QuestionId, Answer>) -> bool {
        match self {
            Condition::All(all) => all.iter().all(|c| c.holds(answers)),
            Condition::Any(any) => any.iter().any(|c| c.holds(answers)),
            Condition::Answer { question, matches } => {
                let answer = answers.get(question);
                match (matches, answer) {
                    (Match::NotAnswered, a) => a.is_none(),
                    (_, None) => false,
                    (Match::Answered, Some(_)) => true,
                    (Match::Equals(v), Some(a)) => a.texts().iter().any(|t| t == v),
                    (Match::OneOf(vs), Some(a)) => a.texts().iter().any(|t| vs.contains(t)),
                    (Match::AtLeast(n), Some(a)) => a.number().is_some_and(|x| x >= *n),
                    (Match::AtMost(n), Some(a)) => a.number().is_some_and(|x| x <= *n),
                }
            }
        }
    }

    /// Every question the condition reads.
    pub fn questions(&self) -> Vec<&QuestionId> {
        match self {
            Condition::Answer { question, .. } => vec![question],
            Condition::All(cs) | Condition::Any(cs) => cs.iter().flat_map(|c| c.questions()).collect(),
        }
    }
}

/// A geographic point answer.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
}

/// A photo answer: the picture is kept outside the document, by content hash.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoAnswer {
    /// Lower-case hex SHA-256 of the image bytes.
    pub sha256: String,
    pub mime: String,
}

/// An answer to one question. The variant names the question type it answers.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Text(String),
    Integer(i64),
    Decimal(f64),
    SelectOne(String),
    SelectMany(Vec<String>),
    /// A calendar date, `YYYY-MM-DD`.
    Date(String),
    Geopoint(GeoPoint),
    Phone(String),
    Email(String),
    Photo(PhotoAnswer),
}

impl Answer {
    /// The question type this answer is for.
    pub fn kind(&self) -> QuestionType {
        match self {
            Answer::Text(_) => QuestionType::Text,
            Answer::Integer(_) => QuestionType::Integer,
            Answer::Decimal(_) => QuestionType::Decimal,
            Answer::SelectOne(_) => QuestionType::SelectOne,
            Answer::SelectMany(_) => QuestionType::SelectMany,
            Answer::Date(_) => QuestionType::Date,
            Answer::Geopoint(_) => QuestionType::Geopoint,
            Answer::Phone(_) => QuestionType::Phone,
            Answer::Email(_) => QuestionType::Email,
            Answer::Photo(_) => QuestionType::Photo,
        }
    }

    /// The answer as text values, for comparisons in conditions and for exports.
    pub fn texts(&self) -> Vec<String> {
        match self {
            Answer::Text(s) | Answer::SelectOne(s) | Answer::Date(s) | Answer::Phone(s) | Answer::Email(s) => {
                vec![s.clone()]
            }
            Answer::SelectMany(v) => v.clone(),
            Answer::Integer(n) => vec![n.to_string()],
            Answer::Decimal(x) => vec![x.to_string()],
            Answer::Geopoint(p) => vec![format!("{},{}", p.lat, p.lon)],
            Answer::Photo(p) => vec![p.sha256.clone()],
        }
    }

    /// Reads an answer to a question of type `kind` from text, as typed on a command line or
    /// found in a spreadsheet cell: numbers with a point or a comma, several options separated
    /// by commas or semicolons, a position as `lat,lon`, a photo as `sha256:mime`. Says in plain
    /// words what was expected when the text does not fit.
    pub fn from_text(kind: QuestionType, text: &str) -> Result<Answer, String> {
        let text = text.trim();
        let number = |t: &str| t.replace(',', ".").replace([' ', '\u{a0}'], "");
        Ok(match kind {
            QuestionType::Text => Answer::Text(text.to_owned()),
            QuestionType::Phone => Answer::Phone(text.to_owned()),
            QuestionType::Email => Answer::Email(text.to_owned()),
            QuestionType::Date => Answer::Date(text.to_owned()),
            QuestionType::SelectOne => Answer::SelectOne(text.to_owned()),
            QuestionType::Integer => {
                Answer::Integer(number(text).parse().map_err(|_| format!("\"{text}\" is not a whole number"))?)
            }
            QuestionType::Decimal => {
                let x: f64 = number(text).parse().map_err(|_| format!("\"{text}\" is not a number"))?;
                if !x.is_finite() {
                    return Err(format!("\"{text}\" is not a number"));
                }
                Answer::Decimal(x)
            }
            QuestionType::SelectMany => Answer::SelectMany(
                text.split([',', ';']).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect(),
            ),
            QuestionType::Geopoint => {
                let parts: Vec<f64> = text
                    .split([',', ';', ' '])
                    .filter(|p| !p.is_empty())
                    .map(|p| p.parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("\"{text}\" is not a position; write it as latitude,longitude"))?;
                match parts.as_slice() {
                    [lat, lon] => Answer::Geopoint(GeoPoint { lat: *lat, lon: *lon, accuracy_m: None }),
                    [lat, lon, accuracy] => {
                        Answer::Geopoint(GeoPoint { lat: *lat, lon: *lon, accuracy_m: Some(*accuracy) })
                    }
                    _ => return Err(format!("\"{text}\" is not a position; write it as latitude,longitude")),
                }
            }
            QuestionType::Photo => {
                let (sha256, mime) = text
                    .split_once(':')
                    .ok_or_else(|| format!("\"{text}\" is not a photo; write it as its sha256:mime-type"))?;
                Answer::Photo(PhotoAnswer { sha256: sha256.to_owned(), mime: mime.to_owned() })
            }
        })
    }

    /// The answer as a number, for integer and decimal answers.
    pub fn number(&self) -> Option<f64> {
        match self {
            Answer::Integer(n) => Some(*n as f64),
            Answer::Decimal(x) => Some(*x),
            _ => None,
        }
    }
}

/// A mistake in a questionnaire definition, found before it is published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("the questionnaire has no questions")]
    NoQuestions,
    #[error("question \"{0}\" appears more than once")]
    DuplicateQuestion(QuestionId),
    #[error("question \"{0}\" is a select question with no options")]
    NoChoices(QuestionId),
    #[error("question \"{question}\" lists the option \"{value}\" more than once")]
    DuplicateChoice { question: QuestionId, value: String },
    #[error("question \"{0}\" has a minimum or maximum that is not a number")]
    LimitNotANumber(QuestionId),
    #[error("question \"{0}\" has a minimum larger than its maximum")]
    MinAboveMax(QuestionId),
    #[error("question \"{question}\" has a pattern that is not a valid regular expression: {reason}")]
    BadPattern { question: QuestionId, reason: String },
    #[error("question \"{question}\" has a date limit \"{date}\" that is not a date like 2026-11-27")]
    BadDateLimit { question: QuestionId, date: String },
    #[error("question \"{question}\" is shown depending on \"{depends_on}\", which is not an earlier question")]
    RelevantOnLaterQuestion { question: QuestionId, depends_on: QuestionId },
}

impl Questionnaire {
    pub fn question(&self, id: &QuestionId) -> Option<&Question> {
        self.questions.iter().find(|q| &q.id == id)
    }

    /// Checks that the definition is sound enough to publish: unique question ids, options for
    /// select questions, consistent limits, valid patterns, and relevance rules that read only
    /// earlier questions (so the form can be filled top to bottom).
    pub fn check_definition(&self) -> Result<(), Vec<DefinitionError>> {
        let mut problems = Vec::new();
        if self.questions.is_empty() {
            problems.push(DefinitionError::NoQuestions);
        }
        let mut earlier: HashSet<&QuestionId> = HashSet::new();
        for q in &self.questions {
            if earlier.contains(&q.id) {
                problems.push(DefinitionError::DuplicateQuestion(q.id.clone()));
            }
            if matches!(q.kind, QuestionType::SelectOne | QuestionType::SelectMany) {
                if q.choices.is_empty() {
                    problems.push(DefinitionError::NoChoices(q.id.clone()));
                }
                let mut seen = HashSet::new();
                for c in &q.choices {
                    if !seen.insert(&c.value) {
                        problems
                            .push(DefinitionError::DuplicateChoice { question: q.id.clone(), value: c.value.clone() });
                    }
                }
            }
            if [q.min, q.max].into_iter().flatten().any(|limit| !limit.is_finite()) {
                problems.push(DefinitionError::LimitNotANumber(q.id.clone()));
            }
            if let (Some(min), Some(max)) = (q.min, q.max)
                && min > max
            {
                problems.push(DefinitionError::MinAboveMax(q.id.clone()));
            }
            for date in [&q.min_date, &q.max_date].into_iter().flatten() {
                if crate::validation::parse_date(date).is_none() {
                    problems.push(DefinitionError::BadDateLimit { question: q.id.clone(), date: date.clone() });
                }
            }
            if let Some(pattern) = &q.pattern
                && let Err(e) = crate::validation::whole_text_regex(pattern)
            {
                problems.push(DefinitionError::BadPattern { question: q.id.clone(), reason: e.to_string() });
            }
            if let Some(rule) = &q.relevant {
                for depends_on in rule.questions() {
                    if !earlier.contains(depends_on) {
                        problems.push(DefinitionError::RelevantOnLaterQuestion {
                            question: q.id.clone(),
                            depends_on: depends_on.clone(),
                        });
                    }
                }
            }
            earlier.insert(&q.id);
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// The questions to show for these answers, in order. A question is shown when it has no
    /// relevance rule or its rule holds; rules read only earlier questions, and an earlier
    /// question that is hidden counts as unanswered.
    pub fn visible_questions(&self, answers: &BTreeMap<QuestionId, Answer>) -> Vec<&Question> {
        let mut shown_answers: BTreeMap<QuestionId, Answer> = BTreeMap::new();
        let mut shown = Vec::new();
        for q in &self.questions {
            if q.relevant.as_ref().is_none_or(|rule| rule.holds(&shown_answers)) {
                if let Some(a) = answers.get(&q.id) {
                    shown_answers.insert(q.id.clone(), a.clone());
                }
                shown.push(q);
            }
        }
        shown
    }

    /// Drops the answers to questions that these answers hide, as the form does when an agent
    /// changes an earlier answer.
    pub fn drop_hidden_answers(&self, answers: &mut BTreeMap<QuestionId, Answer>) {
        let visible: HashSet<QuestionId> = self.visible_questions(answers).into_iter().map(|q| q.id.clone()).collect();
        answers.retain(|id, _| visible.contains(id) || self.question(id).is_none());
    }
}
