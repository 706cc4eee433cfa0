//! Checking answers against a questionnaire (`validate_answers`), checking a questionnaire
//! definition before publishing (`Questionnaire::check_definition`), and the relevance rules
//! that decide which questions are shown (`Condition::holds`, `visible_questions`,
//! `drop_hidden_answers`).

use std::collections::{BTreeMap, BTreeSet};

use census_core::questionnaire::DefinitionError;
use census_core::{
    Answer, Choice, Condition, GeoPoint, Localized, Match, PhotoAnswer, Problem, ProblemKind, Question, QuestionId,
    QuestionType, Questionnaire, QuestionnaireId, validate_answers,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const ALL_TYPES: [QuestionType; 10] = [
    QuestionType::Text,
    QuestionType::Integer,
    QuestionType::Decimal,
    QuestionType::SelectOne,
    QuestionType::SelectMany,
    QuestionType::Date,
    QuestionType::Geopoint,
    QuestionType::Phone,
    QuestionType::Email,
    QuestionType::Photo,
];

const PHOTO_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn qid(id: &str) -> QuestionId {
    QuestionId::new(id).expect("a valid question id")
}

/// A question with no rules; select questions get the options `a`, `b` and `c`.
fn question(id: &str, kind: QuestionType) -> Question {
    let choices = match kind {
        QuestionType::SelectOne | QuestionType::SelectMany => choices(&["a", "b", "c"]),
        _ => Vec::new(),
    };
    Question {
        choices,
        ..Question::new(qid(id), kind, Localized::new(format!("Вопрос {id}"), format!("Question {id}")))
    }
}

fn choices(values: &[&str]) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: (*v).to_owned(),
            label: Localized::new(format!("Вариант {v}"), format!("Option {v}")),
        })
        .collect()
}

fn form(questions: Vec<Question>) -> Questionnaire {
    Questionnaire {
        id: QuestionnaireId::from_bytes([0x42; 16]),
        version: 1,
        title: Localized::new("Перепись", "Census"),
        questions,
    }
}

fn answers<const N: usize>(pairs: [(&str, Answer); N]) -> BTreeMap<QuestionId, Answer> {
    pairs.into_iter().map(|(id, a)| (qid(id), a)).collect()
}

fn when(id: &str, matches: Match) -> Condition {
    Condition::Answer { question: qid(id), matches }
}

fn text(s: &str) -> Answer {
    Answer::Text(s.to_owned())
}

fn one(s: &str) -> Answer {
    Answer::SelectOne(s.to_owned())
}

fn many(values: &[&str]) -> Answer {
    Answer::SelectMany(values.iter().map(|v| (*v).to_owned()).collect())
}

fn date(s: &str) -> Answer {
    Answer::Date(s.to_owned())
}

fn point(lat: f64, lon: f64, accuracy_m: Option<f64>) -> Answer {
    Answer::Geopoint(GeoPoint { lat, lon, accuracy_m })
}

fn phone(s: &str) -> Answer {
    Answer::Phone(s.to_owned())
}

fn email(s: &str) -> Answer {
    Answer::Email(s.to_owned())
}

fn photo(sha256: &str, mime: &str) -> Answer {
    Answer::Photo(PhotoAnswer { sha256: sha256.to_owned(), mime: mime.to_owned() })
}

/// A valid answer of each type, for the questions built by [`question`].
fn valid_answer(kind: QuestionType) -> Answer {
    match kind {
        QuestionType::Text => text("Магазин «Ромашка»"),
        QuestionType::Integer => Answer::Integer(12),
        QuestionType::Decimal => Answer::Decimal(3.5),
        QuestionType::SelectOne => one("b"),
        QuestionType::SelectMany => many(&["a", "c"]),
        QuestionType::Date => date("2026-11-27"),
        QuestionType::Geopoint => point(55.7558, 37.6173, Some(4.0)),
        QuestionType::Phone => phone("+7 (912) 345-67-89"),
        QuestionType::Email => email("shop@example.com"),
        QuestionType::Photo => photo(PHOTO_HASH, "image/jpeg"),
    }
}

/// Validates and checks what every problem must satisfy: it names a question that was either
/// asked or answered, and it carries a Russian and an English message. Returns the
/// (question, kind) pairs in the order reported.
fn check(questionnaire: &Questionnaire, answers: &BTreeMap<QuestionId, Answer>) -> Vec<(String, ProblemKind)> {
    let problems = validate_answers(questionnaire, answers);
    for p in &problems {
        assert_messages(p);
        assert!(
            questionnaire.question(&p.question).is_some() || answers.contains_key(&p.question),
            "problem names a question neither asked nor answered: {p:?}"
        );
    }
    problems.into_iter().map(|p| (p.question.as_str().to_owned(), p.kind)).collect()
}

fn assert_messages(p: &Problem) {
    assert!(!p.message.ru.trim().is_empty(), "empty Russian message: {p:?}");
    assert!(!p.message.en.trim().is_empty(), "empty English message: {p:?}");
    assert!(
        p.message.ru.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)),
        "no Cyrillic in the Russian message: {p:?}"
    );
    assert!(p.message.en.chars().any(|c| c.is_ascii_alphabetic()), "{p:?}");
    assert_ne!(p.message.ru, p.message.en, "the two messages are the same text: {p:?}");
}

/// The kinds of problem with one answer to one question (the only question of the form).
fn kinds(q: Question, answer: Answer) -> Vec<ProblemKind> {
    let id = q.id.as_str().to_owned();
    let problems = check(&form(vec![q]), &answers([(id.as_str(), answer)]));
    problems
        .into_iter()
        .map(|(question, kind)| {
            assert_eq!(question, id);
            kind
        })
        .collect()
}

fn ids(questions: &[&Question]) -> Vec<String> {
    questions.iter().map(|q| q.id.as_str().to_owned()).collect()
}

fn p(id: &str, kind: ProblemKind) -> (String, ProblemKind) {
    (id.to_owned(), kind)
}

// ---------------------------------------------------------------------------------------------
// Every type, required questions, wrong types
// ---------------------------------------------------------------------------------------------

#[test]
fn a_valid_answer_of_every_type_has_no_problems() {
    let questions: Vec<Question> =
        ALL_TYPES.iter().map(|&k| Question { required: true, ..question(k.as_str(), k) }).collect();
    let questionnaire = form(questions);
    assert_eq!(questionnaire.check_definition(), Ok(()));
    let all: BTreeMap<QuestionId, Answer> = ALL_TYPES.iter().map(|&k| (qid(k.as_str()), valid_answer(k))).collect();
    assert_eq!(check(&questionnaire, &all), vec![]);
}

#[test]
fn a_missing_answer_to_a_required_question_of_every_type_is_reported_in_question_order() {
    let questions: Vec<Question> =
        ALL_TYPES.iter().map(|&k| Question { required: true, ..question(k.as_str(), k) }).collect();
    let problems = check(&form(questions), &BTreeMap::new());
    let expected: Vec<_> = ALL_TYPES.iter().map(|k| p(k.as_str(), ProblemKind::Required)).collect();
    assert_eq!(problems, expected);
}

#[test]
fn a_missing_answer_to_an_optional_question_is_fine() {
    let questions: Vec<Question> = ALL_TYPES.iter().map(|&k| question(k.as_str(), k)).collect();
    assert_eq!(check(&form(questions), &BTreeMap::new()), vec![]);
}

#[test]
fn only_the_unanswered_required_questions_are_reported() {
    let questionnaire = form(vec![
        Question { required: true, ..question("name", QuestionType::Text) },
        Question { required: true, ..question("staff", QuestionType::Integer) },
        question("note", QuestionType::Text),
    ]);
    let problems = check(&questionnaire, &answers([("name", text("Ромашка"))]));
    assert_eq!(problems, vec![p("staff", ProblemKind::Required)]);
}

#[test]
fn a_missing_answer_to_a_hidden_required_question_is_not_a_problem() {
    let questionnaire = form(vec![
        question("has_shop", QuestionType::SelectOne),
        Question {
            required: true,
            relevant: Some(when("has_shop", Match::Equals("a".into()))),
            ..question("shop_name", QuestionType::Text)
        },
    ]);
    // Hidden: has_shop is not answered, or answered otherwise.
    assert_eq!(check(&questionnaire, &BTreeMap::new()), vec![]);
    assert_eq!(check(&questionnaire, &answers([("has_shop", one("b"))])), vec![]);
    // Shown: now it is required.
    assert_eq!(check(&questionnaire, &answers([("has_shop", one("a"))])), vec![p("shop_name", ProblemKind::Required)]);
    assert_eq!(check(&questionnaire, &answers([("has_shop", one("a")), ("shop_name", text("Ромашка"))])), vec![]);
}

#[test]
fn an_answer_of_another_type_is_a_wrong_type_for_every_question_type() {
    for (i, &kind) in ALL_TYPES.iter().enumerate() {
        // Every answer of every other type is refused, with a single problem.
        for (j, &other) in ALL_TYPES.iter().enumerate() {
            if i == j {
                continue;
            }
            let q = Question { required: true, ..question("q", kind) };
            assert_eq!(
                kinds(q, valid_answer(other)),
                vec![ProblemKind::WrongType],
                "a {} answer to a {} question",
                other.as_str(),
                kind.as_str()
            );
        }
    }
}

#[test]
fn a_wrong_type_message_names_the_expected_type() {
    let questionnaire = form(vec![question("staff", QuestionType::Integer)]);
    let problems = validate_answers(&questionnaire, &answers([("staff", text("12"))]));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::WrongType);
    assert!(problems[0].message.en.contains("integer"), "{:?}", problems[0].message);
    assert!(problems[0].message.ru.contains("целое число"), "{:?}", problems[0].message);
}

#[test]
fn a_wrong_type_answer_is_not_checked_further() {
    // An integer question with limits, answered with a date: only the type is reported.
    let q = Question { min: Some(10.0), max: Some(20.0), ..question("staff", QuestionType::Integer) };
    assert_eq!(kinds(q, date("2026-02-30")), vec![ProblemKind::WrongType]);
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

#[test]
fn integer_limits_are_inclusive() {
    let q = || Question { min: Some(1.0), max: Some(500.0), ..question("staff", QuestionType::Integer) };
    assert_eq!(kinds(q(), Answer::Integer(0)), vec![ProblemKind::TooSmall]);
    assert_eq!(kinds(q(), Answer::Integer(-7)), vec![ProblemKind::TooSmall]);
    assert_eq!(kinds(q(), Answer::Integer(1)), vec![]);
    assert_eq!(kinds(q(), Answer::Integer(250)), vec![]);
    assert_eq!(kinds(q(), Answer::Integer(500)), vec![]);
    assert_eq!(kinds(q(), Answer::Integer(501)), vec![ProblemKind::TooLarge]);
    assert_eq!(kinds(q(), Answer::Integer(i64::MAX)), vec![ProblemKind::TooLarge]);
    assert_eq!(kinds(q(), Answer::Integer(i64::MIN)), vec![ProblemKind::TooSmall]);
}

#[test]
fn integer_with_only_one_limit() {
    let at_least = Question { min: Some(0.0), ..question("n", QuestionType::Integer) };
    assert_eq!(kinds(at_least.clone(), Answer::Integer(i64::MAX)), vec![]);
    assert_eq!(kinds(at_least, Answer::Integer(-1)), vec![ProblemKind::TooSmall]);
    let at_most = Question { max: Some(0.0), ..question("n", QuestionType::Integer) };
    assert_eq!(kinds(at_most.clone(), Answer::Integer(i64::MIN)), vec![]);
    assert_eq!(kinds(at_most, Answer::Integer(1)), vec![ProblemKind::TooLarge]);
}

#[test]
fn decimal_limits_are_inclusive() {
    let q = || Question { min: Some(0.5), max: Some(99.5), ..question("area", QuestionType::Decimal) };
    assert_eq!(kinds(q(), Answer::Decimal(0.49)), vec![ProblemKind::TooSmall]);
    assert_eq!(kinds(q(), Answer::Decimal(0.5)), vec![]);
    assert_eq!(kinds(q(), Answer::Decimal(42.0)), vec![]);
    assert_eq!(kinds(q(), Answer::Decimal(99.5)), vec![]);
    assert_eq!(kinds(q(), Answer::Decimal(99.51)), vec![ProblemKind::TooLarge]);
    assert_eq!(kinds(q(), Answer::Decimal(-0.0)), vec![ProblemKind::TooSmall]);
}

#[test]
fn a_decimal_that_is_not_finite_is_an_invalid_number_even_without_limits() {
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            kinds(question("area", QuestionType::Decimal), Answer::Decimal(x)),
            vec![ProblemKind::InvalidNumber]
        );
        // With limits it is reported once, as an invalid number, not also as out of range.
        let limited = Question { min: Some(0.0), max: Some(10.0), ..question("area", QuestionType::Decimal) };
        assert_eq!(kinds(limited, Answer::Decimal(x)), vec![ProblemKind::InvalidNumber], "{x}");
    }
}

#[test]
fn number_limit_messages_mention_the_limit() {
    let questionnaire =
        form(vec![Question { min: Some(3.0), max: Some(9.0), ..question("staff", QuestionType::Integer) }]);
    let small = validate_answers(&questionnaire, &answers([("staff", Answer::Integer(2))]));
    assert_eq!(small.len(), 1);
    assert!(small[0].message.en.contains('3') && small[0].message.ru.contains('3'), "{:?}", small[0].message);
    let large = validate_answers(&questionnaire, &answers([("staff", Answer::Integer(10))]));
    assert_eq!(large.len(), 1);
    assert!(large[0].message.en.contains('9') && large[0].message.ru.contains('9'), "{:?}", large[0].message);
}

// ---------------------------------------------------------------------------------------------
// Text, phone, e-mail: length and pattern
// ---------------------------------------------------------------------------------------------

#[test]
fn text_length_is_counted_in_characters_and_inclusive() {
    let q = || Question { min: Some(2.0), max: Some(5.0), ..question("name", QuestionType::Text) };
    assert_eq!(kinds(q(), text("")), vec![ProblemKind::TooShort]);
    assert_eq!(kinds(q(), text("ё")), vec![ProblemKind::TooShort]);
    // Two Cyrillic letters are four bytes but two characters.
    assert_eq!(kinds(q(), text("ёж")), vec![]);
    assert_eq!(kinds(q(), text("абвгд")), vec![]);
    assert_eq!(kinds(q(), text("абвгде")), vec![ProblemKind::TooLong]);
    assert_eq!(kinds(q(), text("abcdef")), vec![ProblemKind::TooLong]);
}

#[test]
fn phone_and_email_length_limits() {
    let short_phone = || Question { max: Some(12.0), ..question("tel", QuestionType::Phone) };
    assert_eq!(kinds(short_phone(), phone("+79123456789")), vec![]);
    assert_eq!(kinds(short_phone(), phone("+7 912 345 67 89")), vec![ProblemKind::TooLong]);
    let long_phone = Question { min: Some(12.0), ..question("tel", QuestionType::Phone) };
    assert_eq!(kinds(long_phone, phone("9123456")), vec![ProblemKind::TooShort]);

    let q = || Question { min: Some(8.0), max: Some(16.0), ..question("mail", QuestionType::Email) };
    assert_eq!(kinds(q(), email("a@b.ru")), vec![ProblemKind::TooShort]);
    assert_eq!(kinds(q(), email("shop@mail.ru")), vec![]);
    assert_eq!(kinds(q(), email("very.long.name@example.com")), vec![ProblemKind::TooLong]);
}

#[test]
fn a_pattern_must_match_the_whole_text() {
    let q = || Question { pattern: Some("[0-9]{3}".into()), ..question("code", QuestionType::Text) };
    assert_eq!(kinds(q(), text("123")), vec![]);
    assert_eq!(kinds(q(), text("1234")), vec![ProblemKind::PatternMismatch]);
    assert_eq!(kinds(q(), text("a123")), vec![ProblemKind::PatternMismatch]);
    assert_eq!(kinds(q(), text("123a")), vec![ProblemKind::PatternMismatch]);
    assert_eq!(kinds(q(), text("12")), vec![ProblemKind::PatternMismatch]);
    assert_eq!(kinds(q(), text("123\n")), vec![ProblemKind::PatternMismatch]);
    assert_eq!(kinds(q(), text("")), vec![ProblemKind::PatternMismatch]);
}

#[test]
fn a_pattern_with_alternatives_still_matches_the_whole_text() {
    // Without grouping, "^a|b$" would accept "ax" and "xb".
    let q = || Question { pattern: Some("a|b".into()), ..question("code", QuestionType::Text) };
    assert_eq!(kinds(q(), text("a")), vec![]);
    assert_eq!(kinds(q(), text("b")), vec![]);
    assert_eq!(kinds(q(), text("ax")), vec![ProblemKind::PatternMismatch]);
    assert_eq!(kinds(q(), text("xb")), vec![ProblemKind::PatternMismatch]);
    assert_eq!(kinds(q(), text("ab")), vec![ProblemKind::PatternMismatch]);
}

#[test]
fn pattern_and_length_are_both_reported() {
    let q = Question { max: Some(3.0), pattern: Some("[a-z]+".into()), ..question("code", QuestionType::Text) };
    assert_eq!(kinds(q, text("ABCDE")), vec![ProblemKind::TooLong, ProblemKind::PatternMismatch]);
}

#[test]
fn patterns_apply_to_valid_phones_and_emails() {
    let ru_mobile = || Question { pattern: Some(r"\+7[0-9]{10}".into()), ..question("tel", QuestionType::Phone) };
    assert_eq!(kinds(ru_mobile(), phone("+79123456789")), vec![]);
    assert_eq!(kinds(ru_mobile(), phone("+19123456789")), vec![ProblemKind::PatternMismatch]);
    let corporate = || Question { pattern: Some(r"[^@]+@shop\.ru".into()), ..question("mail", QuestionType::Email) };
    assert_eq!(kinds(corporate(), email("anna@shop.ru")), vec![]);
    assert_eq!(kinds(corporate(), email("anna@shop.ru.evil.com")), vec![ProblemKind::PatternMismatch]);
}

#[test]
fn an_invalid_phone_or_email_is_reported_once_not_also_against_length_and_pattern() {
    let tel = Question { min: Some(30.0), pattern: Some("x".into()), ..question("tel", QuestionType::Phone) };
    assert_eq!(kinds(tel, phone("12")), vec![ProblemKind::InvalidPhone]);
    let mail = Question { min: Some(30.0), pattern: Some("x".into()), ..question("mail", QuestionType::Email) };
    assert_eq!(kinds(mail, email("nope")), vec![ProblemKind::InvalidEmail]);
}

#[test]
fn phone_numbers() {
    let ok = [
        "+7 (912) 345-67-89",
        "89123456789",
        "1234567",
        "123456789012345",
        "+44 20 7946 0958",
        "8.912.345.67.89",
        " +7 912 345 67 89 ",
    ];
    for s in ok {
        assert_eq!(kinds(question("tel", QuestionType::Phone), phone(s)), vec![], "{s:?}");
    }
    let bad = [
        "",
        "+",
        "123456",           // six digits
        "1234567890123456", // sixteen digits
        "+7 912 CALL NOW",
        "+7 912 345 67 89 ext 2",
        "++79123456789",
        "7912+3456789",
        "+7/912/3456789",
        "８９１２３４５６７８９", // full-width digits
    ];
    for s in bad {
        assert_eq!(kinds(question("tel", QuestionType::Phone), phone(s)), vec![ProblemKind::InvalidPhone], "{s:?}");
    }
}

#[test]
fn email_addresses() {
    let ok = ["shop@example.com", "a.b+tag@mail.co.uk", "магазин@пример.рф", "x@y.z"];
    for s in ok {
        assert_eq!(kinds(question("mail", QuestionType::Email), email(s)), vec![], "{s:?}");
    }
    let bad = [
        "",
        "shop",
        "shop@",
        "@example.com",
        "shop@example",
        "shop@@example.com",
        "a@b@example.com",
        "shop@.example.com",
        "shop@example.com.",
        "shop@example..com",
        "shop @example.com",
        "shop@exa mple.com",
        "shop@example.com\n",
    ];
    for s in bad {
        assert_eq!(kinds(question("mail", QuestionType::Email), email(s)), vec![ProblemKind::InvalidEmail], "{s:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Select questions
// ---------------------------------------------------------------------------------------------

#[test]
fn select_one_accepts_only_its_options() {
    let q = || question("size", QuestionType::SelectOne);
    for ok in ["a", "b", "c"] {
        assert_eq!(kinds(q(), one(ok)), vec![]);
    }
    assert_eq!(kinds(q(), one("d")), vec![ProblemKind::UnknownChoice]);
    assert_eq!(kinds(q(), one("")), vec![ProblemKind::UnknownChoice]);
    // Values are matched exactly, not by label and not ignoring case.
    assert_eq!(kinds(q(), one("A")), vec![ProblemKind::UnknownChoice]);
    assert_eq!(kinds(q(), one("Option a")), vec![ProblemKind::UnknownChoice]);
}

#[test]
fn select_many_reports_each_unknown_and_repeated_option() {
    let q = || question("goods", QuestionType::SelectMany);
    assert_eq!(kinds(q(), many(&[])), vec![]);
    assert_eq!(kinds(q(), many(&["a", "b", "c"])), vec![]);
    assert_eq!(kinds(q(), many(&["a", "x"])), vec![ProblemKind::UnknownChoice]);
    assert_eq!(kinds(q(), many(&["x", "y"])), vec![ProblemKind::UnknownChoice, ProblemKind::UnknownChoice]);
    assert_eq!(kinds(q(), many(&["a", "b", "a"])), vec![ProblemKind::RepeatedChoice]);
    assert_eq!(
        kinds(q(), many(&["x", "x"])),
        vec![ProblemKind::UnknownChoice, ProblemKind::UnknownChoice, ProblemKind::RepeatedChoice]
    );
}

#[test]
fn an_unknown_option_message_names_the_option() {
    let questionnaire = form(vec![question("size", QuestionType::SelectOne)]);
    let problems = validate_answers(&questionnaire, &answers([("size", one("huge"))]));
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.en.contains("huge") && problems[0].message.ru.contains("huge"));
}

#[test]
fn select_many_count_limits_are_inclusive() {
    let q = || Question {
        min: Some(2.0),
        max: Some(3.0),
        choices: choices(&["a", "b", "c", "d"]),
        ..question("goods", QuestionType::SelectMany)
    };
    assert_eq!(kinds(q(), many(&[])), vec![ProblemKind::TooSmall]);
    assert_eq!(kinds(q(), many(&["a"])), vec![ProblemKind::TooSmall]);
    assert_eq!(kinds(q(), many(&["a", "b"])), vec![]);
    assert_eq!(kinds(q(), many(&["a", "b", "c"])), vec![]);
    assert_eq!(kinds(q(), many(&["a", "b", "c", "d"])), vec![ProblemKind::TooLarge]);
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_dates() {
    let bad = [
        "2026-02-30",
        "2026-02-31",
        "2026-04-31",
        "2026-06-31",
        "2026-09-31",
        "2026-11-31",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "2026-01-32",
        "27.11.2026",
        "2026/11/27",
        "2026-1-27",
        "2026-11-7",
        "26-11-27",
        "2026-11-27T10:00",
        " 2026-11-27",
        "2026-11-27 ",
        "+026-11-27",
        "2026-+1-27",
        "2026-11--7",
        "２０２６-11-27",
        "",
        "yesterday",
    ];
    for s in bad {
        assert_eq!(kinds(question("visit", QuestionType::Date), date(s)), vec![ProblemKind::InvalidDate], "{s:?}");
    }
}

#[test]
fn real_dates_including_month_ends() {
    let ok = ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-12-31", "0001-01-01", "9999-12-31"];
    for s in ok {
        assert_eq!(kinds(question("visit", QuestionType::Date), date(s)), vec![], "{s:?}");
    }
}

#[test]
fn leap_years() {
    for leap in ["2024-02-29", "2000-02-29", "2028-02-29", "1600-02-29"] {
        assert_eq!(kinds(question("visit", QuestionType::Date), date(leap)), vec![], "{leap}");
    }
    for not_leap in ["2025-02-29", "1900-02-29", "2100-02-29", "2026-02-29"] {
        assert_eq!(
            kinds(question("visit", QuestionType::Date), date(not_leap)),
            vec![ProblemKind::InvalidDate],
            "{not_leap}"
        );
    }
    assert_eq!(kinds(question("visit", QuestionType::Date), date("2024-02-30")), vec![ProblemKind::InvalidDate]);
}

#[test]
fn date_limits_are_inclusive() {
    let q = || Question {
        min_date: Some("2026-01-01".into()),
        max_date: Some("2026-12-31".into()),
        ..question("visit", QuestionType::Date)
    };
    assert_eq!(kinds(q(), date("2025-12-31")), vec![ProblemKind::TooSmall]);
    assert_eq!(kinds(q(), date("2026-01-01")), vec![]);
    assert_eq!(kinds(q(), date("2026-06-15")), vec![]);
    assert_eq!(kinds(q(), date("2026-12-31")), vec![]);
    assert_eq!(kinds(q(), date("2027-01-01")), vec![ProblemKind::TooLarge]);
    // Compared as dates, not as days or months alone.
    assert_eq!(kinds(q(), date("2025-12-31")), vec![ProblemKind::TooSmall]);
    assert_eq!(kinds(q(), date("2027-01-01")), vec![ProblemKind::TooLarge]);
    // An invalid date is only reported as invalid.
    assert_eq!(kinds(q(), date("2030-02-30")), vec![ProblemKind::InvalidDate]);
}

#[test]
fn date_limit_messages_name_the_limit() {
    let questionnaire = form(vec![Question {
        min_date: Some("2026-01-01".into()),
        max_date: Some("2026-12-31".into()),
        ..question("visit", QuestionType::Date)
    }]);
    let early = validate_answers(&questionnaire, &answers([("visit", date("2025-06-01"))]));
    assert_eq!(early.len(), 1);
    assert!(early[0].message.en.contains("2026-01-01") && early[0].message.ru.contains("2026-01-01"));
    let late = validate_answers(&questionnaire, &answers([("visit", date("2027-06-01"))]));
    assert_eq!(late.len(), 1);
    assert!(late[0].message.en.contains("2026-12-31") && late[0].message.ru.contains("2026-12-31"));
}

// ---------------------------------------------------------------------------------------------
// Geopoints and photos
// ---------------------------------------------------------------------------------------------

#[test]
fn geopoints_on_the_globe_are_fine() {
    for (lat, lon, acc) in
        [(0.0, 0.0, None), (90.0, 180.0, Some(0.0)), (-90.0, -180.0, Some(1500.0)), (55.75, 37.61, Some(3.2))]
    {
        assert_eq!(kinds(question("where", QuestionType::Geopoint), point(lat, lon, acc)), vec![]);
    }
}

#[test]
fn invalid_geopoints() {
    let bad = [
        (91.0, 0.0, None),
        (-91.0, 0.0, None),
        (90.000_001, 0.0, None),
        (0.0, 181.0, None),
        (0.0, -180.5, None),
        (f64::NAN, 37.6, None),
        (55.7, f64::NAN, None),
        (f64::INFINITY, 0.0, None),
        (0.0, f64::NEG_INFINITY, None),
        (55.7, 37.6, Some(-1.0)),
        (55.7, 37.6, Some(f64::NAN)),
        (55.7, 37.6, Some(f64::INFINITY)),
    ];
    for (lat, lon, acc) in bad {
        assert_eq!(
            kinds(question("where", QuestionType::Geopoint), point(lat, lon, acc)),
            vec![ProblemKind::InvalidGeopoint],
            "{lat} {lon} {acc:?}"
        );
    }
}

#[test]
fn photos_need_a_lowercase_sha256_and_an_image_type() {
    let q = || question("front", QuestionType::Photo);
    assert_eq!(kinds(q(), photo(PHOTO_HASH, "image/jpeg")), vec![]);
    assert_eq!(kinds(q(), photo(PHOTO_HASH, "image/png")), vec![]);
    let bad = [
        (PHOTO_HASH.to_uppercase(), "image/jpeg"),
        (PHOTO_HASH[..63].to_owned(), "image/jpeg"),
        (format!("{PHOTO_HASH}0"), "image/jpeg"),
        (PHOTO_HASH.replacen('9', "g", 1), "image/jpeg"),
        (String::new(), "image/jpeg"),
        ("й".repeat(32), "image/jpeg"), // 64 bytes, not hex
        (PHOTO_HASH.to_owned(), "application/pdf"),
        (PHOTO_HASH.to_owned(), "text/plain"),
        (PHOTO_HASH.to_owned(), ""),
        (PHOTO_HASH.to_owned(), "IMAGE/JPEG"),
    ];
    for (hash, mime) in bad {
        assert_eq!(kinds(q(), photo(&hash, mime)), vec![ProblemKind::InvalidPhoto], "{hash:?} {mime:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Unknown and hidden questions
// ---------------------------------------------------------------------------------------------

#[test]
fn an_answer_to_an_unknown_question_is_reported_after_the_known_ones() {
    let questionnaire = form(vec![Question { required: true, ..question("name", QuestionType::Text) }]);
    let problems = check(&questionnaire, &answers([("zzz_old", text("x")), ("aaa_old", Answer::Integer(1))]));
    assert_eq!(
        problems,
        vec![
            p("name", ProblemKind::Required),
            p("aaa_old", ProblemKind::UnknownQuestion),
            p("zzz_old", ProblemKind::UnknownQuestion),
        ]
    );
    let with_id = validate_answers(&questionnaire, &answers([("zzz_old", text("x"))]));
    let unknown = with_id.iter().find(|p| p.kind == ProblemKind::UnknownQuestion).unwrap();
    assert!(unknown.message.en.contains("zzz_old") && unknown.message.ru.contains("zzz_old"));
}

#[test]
fn an_answer_to_a_hidden_question_is_not_relevant_and_not_checked_further() {
    let questionnaire = form(vec![
        question("has_shop", QuestionType::SelectOne),
        Question {
            min: Some(1.0),
            relevant: Some(when("has_shop", Match::Equals("a".into()))),
            ..question("staff", QuestionType::Integer)
        },
    ]);
    // Hidden, and its answer also breaks the limit and could be the wrong type: only NotRelevant.
    assert_eq!(
        check(&questionnaire, &answers([("has_shop", one("b")), ("staff", Answer::Integer(0))])),
        vec![p("staff", ProblemKind::NotRelevant)]
    );
    assert_eq!(check(&questionnaire, &answers([("staff", text("many"))])), vec![p("staff", ProblemKind::NotRelevant)]);
    // Shown, the same answer is checked.
    assert_eq!(
        check(&questionnaire, &answers([("has_shop", one("a")), ("staff", Answer::Integer(0))])),
        vec![p("staff", ProblemKind::TooSmall)]
    );
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

#[test]
fn answered_and_not_answered() {
    let none = BTreeMap::new();
    let some = answers([("q", text(""))]);
    assert!(!when("q", Match::Answered).holds(&none));
    assert!(when("q", Match::Answered).holds(&some));
    assert!(when("q", Match::NotAnswered).holds(&none));
    assert!(!when("q", Match::NotAnswered).holds(&some));
    // An answer to another question does not count.
    assert!(!when("q", Match::Answered).holds(&answers([("other", text("x"))])));
}

#[test]
fn equals_compares_the_answer_as_text() {
    let eq = |v: &str| when("q", Match::Equals(v.into()));
    assert!(eq("b").holds(&answers([("q", one("b"))])));
    assert!(!eq("b").holds(&answers([("q", one("c"))])));
    assert!(!eq("B").holds(&answers([("q", one("b"))])));
    assert!(eq("Ромашка").holds(&answers([("q", text("Ромашка"))])));
    assert!(eq("12").holds(&answers([("q", Answer::Integer(12))])));
    assert!(eq("2026-11-27").holds(&answers([("q", date("2026-11-27"))])));
    // select_many: the option is among those picked.
    assert!(eq("b").holds(&answers([("q", many(&["a", "b"]))])));
    assert!(!eq("c").holds(&answers([("q", many(&["a", "b"]))])));
    assert!(!eq("b").holds(&answers([("q", many(&[]))])));
    // An absent answer matches nothing but NotAnswered.
    assert!(!eq("").holds(&BTreeMap::new()));
}

#[test]
fn one_of_matches_any_listed_value() {
    let any_of = |vs: &[&str]| when("q", Match::OneOf(vs.iter().map(|v| (*v).to_owned()).collect()));
    assert!(any_of(&["a", "b"]).holds(&answers([("q", one("b"))])));
    assert!(!any_of(&["a", "b"]).holds(&answers([("q", one("c"))])));
    assert!(!any_of(&[]).holds(&answers([("q", one("c"))])));
    assert!(any_of(&["x", "c"]).holds(&answers([("q", many(&["c", "d"]))])));
    assert!(!any_of(&["x", "y"]).holds(&answers([("q", many(&["c", "d"]))])));
    assert!(!any_of(&["a"]).holds(&BTreeMap::new()));
}

#[test]
fn at_least_and_at_most_compare_numbers_inclusively() {
    let at_least = when("q", Match::AtLeast(10.0));
    let at_most = when("q", Match::AtMost(10.0));
    for (answer, least, most) in [
        (Answer::Integer(9), false, true),
        (Answer::Integer(10), true, true),
        (Answer::Integer(11), true, false),
        (Answer::Decimal(9.99), false, true),
        (Answer::Decimal(10.0), true, true),
        (Answer::Decimal(10.01), true, false),
        // Not numbers: neither holds.
        (Answer::Decimal(f64::NAN), false, false),
        (text("11"), false, false),
        (one("11"), false, false),
    ] {
        let a = answers([("q", answer.clone())]);
        assert_eq!(at_least.holds(&a), least, "at least 10: {answer:?}");
        assert_eq!(at_most.holds(&a), most, "at most 10: {answer:?}");
    }
    assert!(!at_least.holds(&BTreeMap::new()));
    assert!(!at_most.holds(&BTreeMap::new()));
}

#[test]
fn all_and_any() {
    let a = answers([("x", Answer::Integer(5)), ("y", one("b"))]);
    let t = || when("x", Match::AtLeast(1.0));
    let f = || when("y", Match::Equals("c".into()));
    assert!(t().holds(&a) && !f().holds(&a));

    assert!(Condition::All(vec![t(), t()]).holds(&a));
    assert!(!Condition::All(vec![t(), f()]).holds(&a));
    assert!(!Condition::All(vec![f(), f()]).holds(&a));
    assert!(Condition::All(vec![]).holds(&a), "an empty All holds");

    assert!(Condition::Any(vec![f(), t()]).holds(&a));
    assert!(Condition::Any(vec![t(), t()]).holds(&a));
    assert!(!Condition::Any(vec![f(), f()]).holds(&a));
    assert!(!Condition::Any(vec![]).holds(&a), "an empty Any does not hold");

    // Nested: x >= 1 and (y = c or z not answered).
    let nested = Condition::All(vec![t(), Condition::Any(vec![f(), when("z", Match::NotAnswered)])]);
    assert!(nested.holds(&a));
    let mut with_z = a.clone();
    with_z.insert(qid("z"), text("now answered"));
    assert!(!nested.holds(&with_z));
}

#[test]
fn condition_lists_the_questions_it_reads() {
    let c = Condition::All(vec![
        when("a", Match::Answered),
        Condition::Any(vec![when("b", Match::NotAnswered), when("c", Match::AtMost(1.0))]),
    ]);
    let read: Vec<&str> = c.questions().into_iter().map(QuestionId::as_str).collect();
    assert_eq!(read, vec!["a", "b", "c"]);
}

/// has_shop (select one: a = yes, b = no, c = unsure)
///   staff        — shown when has_shop = a
///   staff_detail — shown when staff >= 10 (so hidden whenever staff is hidden)
///   no_staff     — shown when staff is not answered (also when staff is hidden)
///   big_or_known — shown when staff >= 50 or has_shop is one of [c]
///   both         — shown when has_shop answered and staff <= 5
fn chained_form() -> Questionnaire {
    form(vec![
        question("has_shop", QuestionType::SelectOne),
        Question {
            required: true,
            relevant: Some(when("has_shop", Match::Equals("a".into()))),
            ..question("staff", QuestionType::Integer)
        },
        Question {
            required: true,
            relevant: Some(when("staff", Match::AtLeast(10.0))),
            ..question("staff_detail", QuestionType::Text)
        },
        Question { relevant: Some(when("staff", Match::NotAnswered)), ..question("no_staff", QuestionType::Text) },
        Question {
            relevant: Some(Condition::Any(vec![
                when("staff", Match::AtLeast(50.0)),
                when("has_shop", Match::OneOf(vec!["c".into()])),
            ])),
            ..question("big_or_known", QuestionType::Text)
        },
        Question {
            relevant: Some(Condition::All(vec![when("has_shop", Match::Answered), when("staff", Match::AtMost(5.0))])),
            ..question("both", QuestionType::Text)
        },
    ])
}

#[test]
fn the_chained_form_is_a_sound_definition() {
    assert_eq!(chained_form().check_definition(), Ok(()));
}

#[test]
fn visible_questions_follow_the_rules() {
    let f = chained_form();
    let shown = |a: BTreeMap<QuestionId, Answer>| ids(&f.visible_questions(&a));
    assert_eq!(shown(BTreeMap::new()), ["has_shop", "no_staff"]);
    assert_eq!(shown(answers([("has_shop", one("a"))])), ["has_shop", "staff", "no_staff"]);
    assert_eq!(shown(answers([("has_shop", one("a")), ("staff", Answer::Integer(3))])), ["has_shop", "staff", "both"]);
    assert_eq!(
        shown(answers([("has_shop", one("a")), ("staff", Answer::Integer(10))])),
        ["has_shop", "staff", "staff_detail"]
    );
    assert_eq!(
        shown(answers([("has_shop", one("a")), ("staff", Answer::Integer(50))])),
        ["has_shop", "staff", "staff_detail", "big_or_known"]
    );
    assert_eq!(shown(answers([("has_shop", one("c"))])), ["has_shop", "no_staff", "big_or_known"]);
}

#[test]
fn a_question_that_depends_on_a_hidden_question_sees_it_as_unanswered() {
    let f = chained_form();
    // has_shop = b hides staff. staff still holds a stale answer of 80, which must not show
    // staff_detail (>= 10), big_or_known (>= 50) or both (<= 5) and must let no_staff show.
    let stale = answers([("has_shop", one("b")), ("staff", Answer::Integer(80))]);
    assert_eq!(ids(&f.visible_questions(&stale)), ["has_shop", "no_staff"]);
    let stale_small = answers([("has_shop", one("b")), ("staff", Answer::Integer(2))]);
    assert_eq!(ids(&f.visible_questions(&stale_small)), ["has_shop", "no_staff"]);
}

#[test]
fn validation_follows_the_chain() {
    let f = chained_form();
    // Hidden staff and staff_detail are required but not reported missing.
    assert_eq!(check(&f, &answers([("has_shop", one("b"))])), vec![]);
    // Shown staff is required; staff_detail, which depends on it, is hidden.
    assert_eq!(check(&f, &answers([("has_shop", one("a"))])), vec![p("staff", ProblemKind::Required)]);
    // staff >= 10 shows the required staff_detail.
    assert_eq!(
        check(&f, &answers([("has_shop", one("a")), ("staff", Answer::Integer(12))])),
        vec![p("staff_detail", ProblemKind::Required)]
    );
    // Every answer behind a hidden question is not relevant, down the chain.
    let stale = answers([
        ("has_shop", one("b")),
        ("staff", Answer::Integer(80)),
        ("staff_detail", text("80 people")),
        ("big_or_known", text("big")),
        ("no_staff", text("none")),
    ]);
    assert_eq!(
        check(&f, &stale),
        vec![
            p("staff", ProblemKind::NotRelevant),
            p("staff_detail", ProblemKind::NotRelevant),
            p("big_or_known", ProblemKind::NotRelevant),
        ]
    );
    // Answering no_staff while staff is answered is not relevant either.
    assert_eq!(
        check(&f, &answers([("has_shop", one("a")), ("staff", Answer::Integer(3)), ("no_staff", text("?"))])),
        vec![p("no_staff", ProblemKind::NotRelevant)]
    );
}

#[test]
fn drop_hidden_answers_removes_the_whole_hidden_chain_and_keeps_the_rest() {
    let f = chained_form();
    let mut a = answers([
        ("has_shop", one("b")),
        ("staff", Answer::Integer(80)),
        ("staff_detail", text("80 people")),
        ("big_or_known", text("big")),
        ("no_staff", text("none")),
        ("old_question", text("kept: not in this version")),
    ]);
    f.drop_hidden_answers(&mut a);
    assert_eq!(
        a,
        answers([
            ("has_shop", one("b")),
            ("no_staff", text("none")),
            ("old_question", text("kept: not in this version"))
        ])
    );
    // What is left has no relevance problems; only the unknown question remains.
    assert_eq!(check(&f, &a), vec![p("old_question", ProblemKind::UnknownQuestion)]);
    // Dropping again changes nothing.
    let before = a.clone();
    f.drop_hidden_answers(&mut a);
    assert_eq!(a, before);
}

#[test]
fn drop_hidden_answers_keeps_answers_that_are_shown() {
    let f = chained_form();
    let full = answers([
        ("has_shop", one("a")),
        ("staff", Answer::Integer(60)),
        ("staff_detail", text("sixty")),
        ("big_or_known", text("big")),
    ]);
    let mut a = full.clone();
    f.drop_hidden_answers(&mut a);
    assert_eq!(a, full);
    assert_eq!(check(&f, &a), vec![]);
}

#[test]
fn a_question_with_no_rule_is_always_shown() {
    let f = form(ALL_TYPES.iter().map(|&k| question(k.as_str(), k)).collect());
    let all: BTreeMap<QuestionId, Answer> = ALL_TYPES.iter().map(|&k| (qid(k.as_str()), valid_answer(k))).collect();
    assert_eq!(f.visible_questions(&all).len(), ALL_TYPES.len());
    assert_eq!(f.visible_questions(&BTreeMap::new()).len(), ALL_TYPES.len());
}

// ---------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------

fn definition_errors(questions: Vec<Question>) -> Vec<DefinitionError> {
    let errors = form(questions).check_definition().expect_err("the definition should be refused");
    for e in &errors {
        let message = e.to_string();
        assert!(message.contains(' ') && !message.contains('{'), "not a plain sentence: {message:?}");
    }
    errors
}

/// A definition that uses every type and every rule correctly.
fn good_definition() -> Questionnaire {
    form(vec![
        Question {
            required: true,
            min: Some(1.0),
            max: Some(80.0),
            pattern: Some(r"[^\n]+".into()),
            hint: Some(Localized::new("Как на вывеске", "As on the sign")),
            ..question("name", QuestionType::Text)
        },
        Question { min: Some(0.0), max: Some(0.0), ..question("staff", QuestionType::Integer) },
        Question { min: Some(0.5), ..question("area", QuestionType::Decimal) },
        question("size", QuestionType::SelectOne),
        Question { min: Some(1.0), max: Some(2.0), ..question("goods", QuestionType::SelectMany) },
        Question {
            min_date: Some("2024-02-29".into()),
            max_date: Some("2024-02-29".into()),
            ..question("opened", QuestionType::Date)
        },
        question("where", QuestionType::Geopoint),
        Question { pattern: Some(r"\+7[0-9]{10}".into()), ..question("tel", QuestionType::Phone) },
        Question { relevant: Some(when("tel", Match::NotAnswered)), ..question("mail", QuestionType::Email) },
        Question {
            relevant: Some(Condition::All(vec![
                when("size", Match::OneOf(vec!["a".into(), "b".into()])),
                Condition::Any(vec![when("staff", Match::AtLeast(1.0)), when("goods", Match::Answered)]),
            ])),
            ..question("front", QuestionType::Photo)
        },
    ])
}

#[test]
fn a_good_definition_passes() {
    assert_eq!(good_definition().check_definition(), Ok(()));
    let valid: BTreeMap<QuestionId, Answer> = [
        ("name", text("Ромашка")),
        ("staff", Answer::Integer(0)),
        ("size", one("a")),
        ("goods", many(&["b"])),
        ("opened", date("2024-02-29")),
        ("tel", phone("+79123456789")),
        ("front", photo(PHOTO_HASH, "image/webp")),
    ]
    .into_iter()
    .map(|(id, a)| (qid(id), a))
    .collect();
    assert_eq!(check(&good_definition(), &valid), vec![]);
}

#[test]
fn an_empty_questionnaire_is_refused() {
    assert_eq!(definition_errors(vec![]), vec![DefinitionError::NoQuestions]);
}

#[test]
fn duplicate_question_ids() {
    let errors = definition_errors(vec![
        question("name", QuestionType::Text),
        question("staff", QuestionType::Integer),
        question("name", QuestionType::Email),
    ]);
    assert_eq!(errors, vec![DefinitionError::DuplicateQuestion(qid("name"))]);
    assert!(errors[0].to_string().contains("\"name\""));
}

#[test]
fn select_questions_need_options() {
    let errors = definition_errors(vec![
        Question { choices: vec![], ..question("size", QuestionType::SelectOne) },
        Question { choices: vec![], ..question("goods", QuestionType::SelectMany) },
    ]);
    assert_eq!(errors, vec![DefinitionError::NoChoices(qid("size")), DefinitionError::NoChoices(qid("goods"))]);
}

#[test]
fn duplicate_options() {
    let errors = definition_errors(vec![
        Question { choices: choices(&["a", "b", "a"]), ..question("size", QuestionType::SelectOne) },
        Question { choices: choices(&["x", "y", "y"]), ..question("goods", QuestionType::SelectMany) },
    ]);
    assert_eq!(
        errors,
        vec![
            DefinitionError::DuplicateChoice { question: qid("size"), value: "a".into() },
            DefinitionError::DuplicateChoice { question: qid("goods"), value: "y".into() },
        ]
    );
}

#[test]
fn min_above_max() {
    let errors = definition_errors(vec![
        Question { min: Some(10.0), max: Some(1.0), ..question("staff", QuestionType::Integer) },
        Question { min: Some(2.0), max: Some(2.0), ..question("equal_is_fine", QuestionType::Decimal) },
        Question { min: Some(5.0), max: Some(3.0), ..question("name", QuestionType::Text) },
        Question { min: Some(3.0), max: Some(1.0), ..question("goods", QuestionType::SelectMany) },
    ]);
    assert_eq!(
        errors,
        vec![
            DefinitionError::MinAboveMax(qid("staff")),
            DefinitionError::MinAboveMax(qid("name")),
            DefinitionError::MinAboveMax(qid("goods")),
        ]
    );
}

#[test]
fn a_pattern_that_is_not_a_regular_expression() {
    let errors = definition_errors(vec![
        Question { pattern: Some("[0-9".into()), ..question("code", QuestionType::Text) },
        Question { pattern: Some("(a".into()), ..question("tel", QuestionType::Phone) },
        Question { pattern: Some("[a-z]+".into()), ..question("fine", QuestionType::Email) },
    ]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    for (error, id) in errors.iter().zip(["code", "tel"]) {
        match error {
            DefinitionError::BadPattern { question, reason } => {
                assert_eq!(question, &qid(id));
                assert!(!reason.is_empty());
            }
            other => panic!("expected a bad pattern, got {other:?}"),
        }
    }
}

#[test]
fn a_date_limit_that_is_not_a_date() {
    let errors = definition_errors(vec![
        Question {
            min_date: Some("2026-02-30".into()),
            max_date: Some("27.11.2026".into()),
            ..question("opened", QuestionType::Date)
        },
        Question { max_date: Some("2025-02-29".into()), ..question("visit", QuestionType::Date) },
        Question { min_date: Some("2024-02-29".into()), ..question("fine", QuestionType::Date) },
    ]);
    assert_eq!(
        errors,
        vec![
            DefinitionError::BadDateLimit { question: qid("opened"), date: "2026-02-30".into() },
            DefinitionError::BadDateLimit { question: qid("opened"), date: "27.11.2026".into() },
            DefinitionError::BadDateLimit { question: qid("visit"), date: "2025-02-29".into() },
        ]
    );
}

#[test]
fn relevance_on_a_later_unknown_or_own_question() {
    let errors = definition_errors(vec![
        question("first", QuestionType::Text),
        Question { relevant: Some(when("third", Match::Answered)), ..question("second", QuestionType::Text) },
        question("third", QuestionType::Text),
        Question {
            relevant: Some(Condition::Any(vec![when("first", Match::Answered), when("ghost", Match::Answered)])),
            ..question("fourth", QuestionType::Text)
        },
        Question { relevant: Some(when("fifth", Match::NotAnswered)), ..question("fifth", QuestionType::Text) },
    ]);
    assert_eq!(
        errors,
        vec![
            DefinitionError::RelevantOnLaterQuestion { question: qid("second"), depends_on: qid("third") },
            DefinitionError::RelevantOnLaterQuestion { question: qid("fourth"), depends_on: qid("ghost") },
            DefinitionError::RelevantOnLaterQuestion { question: qid("fifth"), depends_on: qid("fifth") },
        ]
    );
    let message = errors[0].to_string();
    assert!(message.contains("second") && message.contains("third"), "{message}");
}

#[test]
fn every_mistake_in_a_definition_is_reported_together() {
    let errors = definition_errors(vec![
        Question { choices: vec![], min: Some(2.0), max: Some(1.0), ..question("a", QuestionType::SelectMany) },
        Question { pattern: Some("(".into()), min_date: Some("x".into()), ..question("a", QuestionType::Date) },
    ]);
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert_eq!(errors[0], DefinitionError::NoChoices(qid("a")));
    assert_eq!(errors[1], DefinitionError::MinAboveMax(qid("a")));
    assert_eq!(errors[2], DefinitionError::DuplicateQuestion(qid("a")));
    assert_eq!(errors[3], DefinitionError::BadDateLimit { question: qid("a"), date: "x".into() });
    assert!(matches!(errors[4], DefinitionError::BadPattern { .. }));
}

#[test]

fn a_pattern_with_an_extended_mode_comment_is_still_enforced() {
    // `(?x)` makes `#` start a comment to the end of the line: the anchors Census adds around a
    // pattern to match the whole answer must not be swallowed by it.
    let q = Question { pattern: Some("(?x) [0-9]{3}  # three digits".into()), ..question("code", QuestionType::Text) };
    assert_eq!(form(vec![q.clone()]).check_definition(), Ok(()));
    assert_eq!(kinds(q.clone(), text("123")), vec![]);
    assert_eq!(kinds(q, text("not digits at all")), vec![ProblemKind::PatternMismatch]);
}

// ---------------------------------------------------------------------------------------------
// Never panics
// ---------------------------------------------------------------------------------------------

fn any_answer() -> impl Strategy<Value = Answer> {
    let f = || prop_oneof![any::<f64>(), -200.0..200.0f64];
    prop_oneof![
        ".*".prop_map(Answer::Text),
        any::<i64>().prop_map(Answer::Integer),
        f().prop_map(Answer::Decimal),
        "[a-d]?".prop_map(Answer::SelectOne),
        prop::collection::vec("[a-d]", 0..6).prop_map(Answer::SelectMany),
        prop_oneof![".{0,12}", "[0-9]{4}-[0-9]{2}-[0-9]{2}"].prop_map(Answer::Date),
        (f(), f(), prop::option::of(f())).prop_map(|(lat, lon, accuracy_m)| Answer::Geopoint(GeoPoint {
            lat,
            lon,
            accuracy_m
        })),
        prop_oneof![".*", "[+]?[0-9 ()-]{0,20}"].prop_map(Answer::Phone),
        prop_oneof![".*", "[a-z.]{0,5}@[a-z.]{0,8}"].prop_map(Answer::Email),
        ("[0-9a-fA-F]{0,66}", "(image/)?[a-z]{0,4}")
            .prop_map(|(sha256, mime)| Answer::Photo(PhotoAnswer { sha256, mime })),
    ]
}

proptest! {
    #[test]
    fn validation_never_panics_and_every_problem_is_well_formed(
        picked in prop::collection::btree_map(
            prop::sample::select(vec![
                "name", "staff", "staff_detail", "no_staff", "has_shop", "big_or_known", "both", "size", "goods",
                "opened", "tel", "mail", "front", "ghost",
            ]),
            any_answer(),
            0..8,
        ),
    ) {
        let a: BTreeMap<QuestionId, Answer> = picked.into_iter().map(|(id, ans)| (qid(id), ans)).collect();
        for f in [chained_form(), good_definition()] {
            let problems = check(&f, &a);
            // drop_hidden_answers removes exactly the answers reported as not relevant, and what
            // it leaves has no such problem.
            let not_relevant: BTreeSet<&str> = problems
                .iter()
                .filter(|(_, k)| *k == ProblemKind::NotRelevant)
                .map(|(id, _)| id.as_str())
                .collect();
            let mut kept = a.clone();
            f.drop_hidden_answers(&mut kept);
            let dropped: BTreeSet<&str> =
                a.keys().filter(|id| !kept.contains_key(*id)).map(QuestionId::as_str).collect();
            prop_assert_eq!(not_relevant, dropped);
            prop_assert!(check(&f, &kept).iter().all(|(_, k)| *k != ProblemKind::NotRelevant));
        }
    }

    #[test]
    fn date_answers_never_panic_and_real_dates_pass(s in ".{0,12}", y in 1u32..=9999, m in 1u32..=12, d in 1u32..=28) {
        let q = || question("visit", QuestionType::Date);
        let _ = kinds(q(), date(&s));
        prop_assert_eq!(kinds(q(), date(&format!("{y:04}-{m:02}-{d:02}"))), vec![]);
    }
}

#[test]
fn a_blank_answer_to_a_required_question_counts_as_no_answer() {
    let required = |kind| Question { required: true, ..question("q", kind) };
    assert_eq!(kinds(required(QuestionType::Text), text("   ")), vec![ProblemKind::Required]);
    assert_eq!(kinds(required(QuestionType::Phone), phone("")), vec![ProblemKind::Required]);
    let select = Question { choices: choices(&["a", "b"]), ..required(QuestionType::SelectMany) };
    assert_eq!(kinds(select, many(&[])), vec![ProblemKind::Required]);
}

#[test]
fn limits_that_are_not_numbers_are_refused() {
    let errors = definition_errors(vec![Question { min: Some(f64::NAN), ..question("n", QuestionType::Integer) }]);
    assert_eq!(errors, vec![DefinitionError::LimitNotANumber(qid("n"))]);
}
