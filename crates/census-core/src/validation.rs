//! Checking a visit's answers against a questionnaire version.
//!
//! Problems are data, not errors: an agent may keep a draft with problems and fix it later, and
//! the form shows each problem next to its question. Validation never panics, whatever the
//! answers hold.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

use crate::ids::QuestionId;
use crate::localized::Localized;
use crate::questionnaire::{Answer, Question, QuestionType, Questionnaire};

/// What is wrong with an answer.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A required question shown to the agent has no answer.
    Required,
    /// The answer is of another type than the question asks (e.g. text for an integer).
    WrongType,
    /// A number or date below the minimum, or too few options picked.
    TooSmall,
    /// A number or date above the maximum, or too many options picked.
    TooLarge,
    /// Text shorter than the minimum length.
    TooShort,
    /// Text longer than the maximum length.
    TooLong,
    /// Text that does not match the question's pattern.
    PatternMismatch,
    /// An option that the question does not offer.
    UnknownChoice,
    /// The same option picked twice.
    RepeatedChoice,
    /// A date that is not a real `YYYY-MM-DD` date.
    InvalidDate,
    /// Coordinates off the globe or not numbers.
    InvalidGeopoint,
    /// Not a phone number.
    InvalidPhone,
    /// Not an e-mail address.
    InvalidEmail,
    /// A photo without a proper content hash or image type.
    InvalidPhoto,
    /// A number that is not finite.
    InvalidNumber,
    /// An answer to a question that the other answers hide.
    NotRelevant,
    /// An answer to a question this questionnaire version does not have.
    UnknownQuestion,
}

/// One problem with one answer, with a message for the agent in both languages.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub question: QuestionId,
    pub kind: ProblemKind,
    pub message: Localized,
}

/// Checks every answer against the questionnaire: types, required questions that are shown,
/// limits, patterns, options, and relevance. Returns every problem found, in question order;
/// an empty list means the answers may be saved as a finished visit.
pub fn validate_answers(questionnaire: &Questionnaire, answers: &BTreeMap<QuestionId, Answer>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let visible: HashSet<&QuestionId> = questionnaire.visible_questions(answers).into_iter().map(|q| &q.id).collect();
    for question in &questionnaire.questions {
        let shown = visible.contains(&question.id);
        // A blank answer to a required question is no answer; elsewhere it is checked as given.
        let answer = answers.get(&question.id).filter(|a| !(shown && question.required && is_blank(a)));
        match (answer, shown) {
            (None, true) if question.required => {
                problems.push(problem(question, ProblemKind::Required, "Ответ обязателен.", "An answer is required."))
            }
            (None, _) => {}
            (Some(_), false) => problems.push(problem(
                question,
                ProblemKind::NotRelevant,
                "Этот вопрос скрыт при данных ответах; удалите ответ.",
                "This question is hidden by the other answers; remove the answer.",
            )),
            (Some(answer), true) => check_answer(question, answer, &mut problems),
        }
    }
    for id in answers.keys() {
        if questionnaire.question(id).is_none() {
            problems.push(Problem {
                question: id.clone(),
                kind: ProblemKind::UnknownQuestion,
                message: Localized::new(
                    format!("В этой версии анкеты нет вопроса «{id}»."),
                    format!("This questionnaire version has no question \"{id}\"."),
                ),
            });
        }
    }
    problems
}

/// Empty text or no option picked.
fn is_blank(answer: &Answer) -> bool {
    match answer {
        Answer::Text(s) | Answer::Phone(s) | Answer::Email(s) | Answer::SelectOne(s) | Answer::Date(s) => {
            s.trim().is_empty()
        }
        Answer::SelectMany(v) => v.is_empty(),
        _ => false,
    }
}

fn problem(question: &Question, kind: ProblemKind, ru: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { question: question.id.clone(), kind, message: Localized::new(ru, en) }
}

fn check_answer(q: &Question, answer: &Answer, out: &mut Vec<Problem>) {
    if answer.kind() != q.kind {
        out.push(problem(
            q,
            ProblemKind::WrongType,
            format!("Ожидается ответ типа «{}».", type_name_ru(q.kind)),
            format!("Expected an answer of type \"{}\".", q.kind.as_str()),
        ));
        return;
    }
    match answer {
        Answer::Text(text) => {
            check_length(q, text, out);
            check_pattern(q, text, out);
        }
        Answer::Integer(n) => check_range(q, *n as f64, out),
        Answer::Decimal(x) => {
            if x.is_finite() {
                check_range(q, *x, out);
            } else {
                out.push(problem(q, ProblemKind::InvalidNumber, "Введите число.", "Enter a number."));
            }
        }
        Answer::SelectOne(value) => check_choice(q, value, out),
        Answer::SelectMany(values) => {
            let mut seen = HashSet::new();
            for v in values {
                check_choice(q, v, out);
                if !seen.insert(v) {
                    out.push(problem(
                        q,
                        ProblemKind::RepeatedChoice,
                        format!("Вариант «{v}» выбран дважды."),
                        format!("The option \"{v}\" is picked twice."),
                    ));
                }
            }
            let count = values.len() as f64;
            if let Some(min) = q.min
                && count < min
            {
                out.push(problem(
                    q,
                    ProblemKind::TooSmall,
                    format!("Выберите не меньше {min} вариантов."),
                    format!("Pick at least {min} options."),
                ));
            }
            if let Some(max) = q.max
                && count > max
            {
                out.push(problem(
                    q,
                    ProblemKind::TooLarge,
                    format!("Выберите не больше {max} вариантов."),
                    format!("Pick at most {max} options."),
                ));
            }
        }
        Answer::Date(text) => check_date(q, text, out),
        Answer::Geopoint(p) => {
            let valid = p.lat.is_finite()
                && p.lon.is_finite()
                && (-90.0..=90.0).contains(&p.lat)
                && (-180.0..=180.0).contains(&p.lon)
                && p.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0);
            if !valid {
                out.push(problem(
                    q,
                    ProblemKind::InvalidGeopoint,
                    "Координаты вне допустимых пределов: широта от −90 до 90, долгота от −180 до 180.",
                    "Coordinates out of range: latitude −90 to 90, longitude −180 to 180.",
                ));
            }
        }
        Answer::Phone(text) => {
            if !is_phone(text) {
                out.push(problem(
                    q,
                    ProblemKind::InvalidPhone,
                    "Это не номер телефона: нужно от 7 до 15 цифр, можно с +, пробелами, скобками и дефисами.",
                    "This is not a phone number: use 7 to 15 digits, optionally with +, spaces, brackets and dashes.",
                ));
            } else {
                check_length(q, text, out);
                check_pattern(q, text, out);
            }
        }
        Answer::Email(text) => {
            if !is_email(text) {
                out.push(problem(
                    q,
                    ProblemKind::InvalidEmail,
                    "Это не адрес электронной почты (пример: name@example.com).",
                    "This is not an e-mail address (example: name@example.com).",
                ));
            } else {
                check_length(q, text, out);
                check_pattern(q, text, out);
            }
        }
        Answer::Photo(photo) => {
            let hash_ok =
                photo.sha256.len() == 64 && photo.sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            if !hash_ok || !photo.mime.starts_with("image/") {
                out.push(problem(
                    q,
                    ProblemKind::InvalidPhoto,
                    "Фото повреждено или не является изображением; снимите его заново.",
                    "The photo is damaged or not an image; take it again.",
                ));
            }
        }
    }
}

fn check_length(q: &Question, text: &str, out: &mut Vec<Problem>) {
    let len = text.chars().count() as f64;
    if let Some(min) = q.min
        && len < min
    {
        out.push(problem(
            q,
            ProblemKind::TooShort,
            format!("Слишком коротко: не меньше {min} символов."),
            format!("Too short: at least {min} characters."),
        ));
    }
    if let Some(max) = q.max
        && len > max
    {
        out.push(problem(
            q,
            ProblemKind::TooLong,
            format!("Слишком длинно: не больше {max} символов."),
            format!("Too long: at most {max} characters."),
        ));
    }
}

fn check_pattern(q: &Question, text: &str, out: &mut Vec<Problem>) {
    let Some(pattern) = &q.pattern else { return };
    // A definition with a broken pattern is refused at publishing; if one slips through, the
    // answer is not blamed for it.
    let Ok(re) = whole_text_regex(pattern) else { return };
    if !re.is_match(text) {
        out.push(problem(
            q,
            ProblemKind::PatternMismatch,
            "Ответ не соответствует требуемому формату.",
            "The answer is not in the required format.",
        ));
    }
}

/// The question's pattern, compiled to match the whole answer rather than a part of it.
pub(crate) fn whole_text_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
        // In `(?x)` mode a trailing `# comment` swallows the closing `)$`; a newline ends the
        // comment, and in that mode the newline itself is ignored.
        .or_else(|_| regex::Regex::new(&format!("^(?:{pattern}\n)$")))
        .map_err(|wrapped| regex::Regex::new(pattern).err().unwrap_or(wrapped))
}

fn check_range(q: &Question, x: f64, out: &mut Vec<Problem>) {
    if let Some(min) = q.min
        && x < min
    {
        out.push(problem(
            q,
            ProblemKind::TooSmall,
            format!("Значение должно быть не меньше {min}."),
            format!("The value must be at least {min}."),
        ));
    }
    if let Some(max) = q.max
        && x > max
    {
        out.push(problem(
            q,
            ProblemKind::TooLarge,
            format!("Значение должно быть не больше {max}."),
            format!("The value must be at most {max}."),
        ));
    }
}

fn check_choice(q: &Question, value: &str, out: &mut Vec<Problem>) {
    if !q.choices.iter().any(|c| c.value == value) {
        out.push(problem(
            q,
            ProblemKind::UnknownChoice,
            format!("Вариант «{value}» отсутствует в этом вопросе."),
            format!("\"{value}\" is not one of this question's options."),
        ));
    }
}

fn check_date(q: &Question, text: &str, out: &mut Vec<Problem>) {
    let Some(date) = parse_date(text) else {
        out.push(problem(
            q,
            ProblemKind::InvalidDate,
            "Это не дата: используйте формат ГГГГ-ММ-ДД, например 2026-11-27.",
            "This is not a date: use YYYY-MM-DD, for example 2026-11-27.",
        ));
        return;
    };
    if let Some(min) = q.min_date.as_deref().and_then(parse_date)
        && date < min
    {
        out.push(problem(
            q,
            ProblemKind::TooSmall,
            format!("Дата должна быть не раньше {}.", q.min_date.as_deref().unwrap_or_default()),
            format!("The date must be on or after {}.", q.min_date.as_deref().unwrap_or_default()),
        ));
    }
    if let Some(max) = q.max_date.as_deref().and_then(parse_date)
        && date > max
    {
        out.push(problem(
            q,
            ProblemKind::TooLarge,
            format!("Дата должна быть не позже {}.", q.max_date.as_deref().unwrap_or_default()),
            format!("The date must be on or before {}.", q.max_date.as_deref().unwrap_or_default()),
        ));
    }
}

/// Parses a `YYYY-MM-DD` calendar date into a comparable (year, month, day), or `None` when the
/// text is not a real date.
pub fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let (y, m, d) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month).contains(&d).then_some((y, m, d))
}

/// Whether the text looks like a phone number: 7 to 15 digits, with an optional leading `+` and
/// spaces, brackets, dots or dashes between.
pub fn is_phone(text: &str) -> bool {
    let text = text.trim();
    let body = text.strip_prefix('+').unwrap_or(text);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits) && body.chars().all(|c| c.is_ascii_digit() || " ()-.".contains(c))
}

/// Whether the text looks like an e-mail address: one `@`, a local part, and a domain with a dot,
/// no spaces.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

fn type_name_ru(kind: QuestionType) -> &'static str {
    match kind {
        QuestionType::Text => "текст",
        QuestionType::Integer => "целое число",
        QuestionType::Decimal => "число",
        QuestionType::SelectOne => "один вариант",
        QuestionType::SelectMany => "несколько вариантов",
        QuestionType::Date => "дата",
        QuestionType::Geopoint => "координаты",
        QuestionType::Phone => "телефон",
        QuestionType::Email => "эл. почта",
        QuestionType::Photo => "фото",
    }
}
