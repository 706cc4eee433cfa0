//! The domain's errors in Russian, for the people who read them: the same clause as the English
//! message (lower-case, no full stop), with the ids and numbers it names. What only exists in
//! English (Automerge's and other libraries' texts) is left out; the English message keeps it.

use crate::authority::Refusal;
use crate::limits::SizeError;
use crate::prospect_doc::DocumentError;
use crate::questionnaire::DefinitionError;

impl DocumentError {
    /// The error in Russian.
    pub fn russian(&self) -> String {
        match self {
            DocumentError::Unreadable(_) => "документ точки повреждён и не читается".into(),
            DocumentError::BadChange { prospect, .. } => {
                format!("изменение, полученное для точки {prospect}, не удалось применить: оно повреждено")
            }
            DocumentError::NotAProspect => "этот документ — не точка Census".into(),
            DocumentError::Incomplete(prospect) => {
                format!("первые изменения точки {prospect} ещё не пришли; полученные ждут их")
            }
            DocumentError::WrongProspect { expected, found } => {
                format!("это документ точки {found}, а ожидалась точка {expected}")
            }
            DocumentError::NewerSchema(schema) => format!(
                "эту точку сохранила более новая версия Census (схема документа {schema}); обновите Census, чтобы открыть её"
            ),
            DocumentError::UnknownContact(contact) => format!("у точки нет контакта {contact}"),
            DocumentError::ContactExists(contact) => format!("у точки уже есть контакт {contact}"),
            DocumentError::VisitExists(visit) => format!("у точки уже есть визит {visit}"),
            DocumentError::InvalidLocation => {
                "такого места нет на земном шаре: широта должна быть от −90 до 90, долгота — от −180 до 180".into()
            }
            DocumentError::EmptyTag => "в метке должен быть хотя бы один видимый символ".into(),
            DocumentError::InvalidPhotoHash => {
                "у фото нужна контрольная сумма SHA-256 его содержимого: 64 шестнадцатеричных знака строчными буквами"
                    .into()
            }
            DocumentError::SameProspect => "точку нельзя объединить саму с собой или отделить от самой себя".into(),
            DocumentError::UnknownField(path) => format!("«{path}» — не поле точки, которое можно задать"),
            DocumentError::InvalidValue { path, .. } => {
                format!("это значение не подходит для поля «{}»", field_in_words(path))
            }
            DocumentError::TooLarge(too_large) => format!("{}; изменение не внесено", too_large.russian()),
            DocumentError::NotPermitted(refusal) => format!("{}; изменение не внесено", refusal.russian()),
            DocumentError::Internal(_) => {
                "внутренняя ошибка документа точки; попробуйте ещё раз, а если ошибка повторится, обратитесь к администратору"
                    .into()
            }
        }
    }
}

impl SizeError {
    /// The error in Russian.
    pub fn russian(&self) -> String {
        match self {
            SizeError::ChangeTooLarge { limit_bytes } => {
                format!("изменение слишком большое: больше {} без сжатия", bytes_in_words(*limit_bytes))
            }
            SizeError::ChangeTooManyOperations { limit } => {
                format!("изменение слишком большое: больше {limit} операций")
            }
            SizeError::DocumentTooLarge { limit_bytes } => format!(
                "точка стала бы больше {}, а это самое большее, что Census хранит для одной точки",
                bytes_in_words(*limit_bytes)
            ),
            SizeError::DocumentTooManyOperations { limit } => {
                format!(
                    "в точке стало бы больше {limit} операций, а это самое большее, что Census хранит для одной точки"
                )
            }
            SizeError::Malformed(_) => "данные повреждены: это не изменение и не документ точки".into(),
        }
    }
}

impl Refusal {
    /// The refusal in Russian: what the rule is, without the ids of the English message.
    pub fn russian(&self) -> String {
        match self {
            Refusal::ForgedAuthor(_) => {
                "изменение должно быть подписано тем, кто вошёл на устройстве, где оно сделано".into()
            }
            Refusal::ManagersOnly(_) => "это решение может принять только менеджер или администратор".into(),
            Refusal::RewritesLayout(_) => {
                "изменение переписывает то, что записывается один раз: кто и когда создал точку, записанные визиты"
                    .into()
            }
        }
    }
}

impl DefinitionError {
    /// The mistake in Russian.
    pub fn russian(&self) -> String {
        match self {
            DefinitionError::NoQuestions => "в анкете нет вопросов".into(),
            DefinitionError::DuplicateQuestion(q) => format!("вопрос «{q}» встречается больше одного раза"),
            DefinitionError::NoChoices(q) => format!("у вопроса «{q}» с выбором ответа нет вариантов"),
            DefinitionError::DuplicateChoice { question, value } => {
                format!("у вопроса «{question}» вариант «{value}» указан больше одного раза")
            }
            DefinitionError::LimitNotANumber(q) => format!("у вопроса «{q}» минимум или максимум — не число"),
            DefinitionError::MinAboveMax(q) => format!("у вопроса «{q}» минимум больше максимума"),
            DefinitionError::BadPattern { question, .. } => {
                format!("у вопроса «{question}» шаблон ответа — неправильное регулярное выражение")
            }
            DefinitionError::BadDateLimit { question, date } => {
                format!("у вопроса «{question}» ограничение «{date}» — не дата вида 2026-11-27")
            }
            DefinitionError::RelevantOnLaterQuestion { question, depends_on } => format!(
                "вопрос «{question}» показывается в зависимости от «{depends_on}», но это не один из вопросов перед ним"
            ),
        }
    }
}

/// A limit in bytes as people say it: megabytes or kilobytes when it is a whole number of them.
fn bytes_in_words(bytes: u64) -> String {
    const KB: u64 = 1 << 10;
    const MB: u64 = 1 << 20;
    match bytes {
        b if b >= MB && b % MB == 0 => format!("{} МБ", b / MB),
        b if b >= KB && b % KB == 0 => format!("{} КБ", b / KB),
        b => format!("{b} Б"),
    }
}

/// A field path (`status`, `address/city`, `contacts/<id>/phone`) in Russian words, as the
/// window names the fields; ids are left out, and a path of unknown parts stays as it is.
fn field_in_words(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let words: Vec<&str> = match segments.as_slice() {
        ["contacts", _, field] => vec!["контакт", contact_field(field).unwrap_or(field)],
        ["address", part] => vec!["адрес", address_part(part).unwrap_or(part)],
        [field] => match top_field(field) {
            Some(word) => vec![word],
            None => return path.to_owned(),
        },
        _ => return path.to_owned(),
    };
    words.join(" · ")
}

fn top_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "название",
        "category" => "категория",
        "status" => "статус",
        "notes" => "заметки",
        "territory" => "территория",
        "location" => "координаты",
        "review" => "проверка",
        "deleted" => "удаление точки",
        "merged_into" => "объединение с другой точкой",
        "address" => "адрес",
        "contacts" => "контакты",
        _ => return None,
    })
}

fn address_part(part: &str) -> Option<&'static str> {
    Some(match part {
        "line" => "улица, дом",
        "city" => "город",
        "region" => "регион",
        "postcode" => "индекс",
        "country" => "страна",
        _ => return None,
    })
}

fn contact_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "имя",
        "role" => "должность",
        "phone" => "телефон",
        "email" => "эл. почта",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ProspectId;

    fn no_latin(text: &str) -> bool {
        !text.chars().any(|c| c.is_ascii_alphabetic())
    }

    #[test]
    fn document_errors_are_said_in_russian() {
        let id = ProspectId::from_bytes([0x11; 16]);
        let incomplete = DocumentError::Incomplete(id).russian();
        assert_eq!(incomplete, format!("первые изменения точки {id} ещё не пришли; полученные ждут их"));
        let damaged = DocumentError::Unreadable("missing column 7 in chunk".into()).russian();
        assert!(no_latin(&damaged), "the library's English stays out: {damaged}");
        let limit = SizeError::DocumentTooLarge { limit_bytes: crate::limits::MAX_DOCUMENT_BYTES };
        assert_eq!(
            DocumentError::TooLarge(limit).russian(),
            "точка стала бы больше 8 МБ, а это самое большее, что Census хранит для одной точки; изменение не внесено"
        );
        let refused = DocumentError::NotPermitted(Refusal::ManagersOnly("a review is a manager's decision".into()));
        assert_eq!(
            refused.russian(),
            "это решение может принять только менеджер или администратор; изменение не внесено"
        );
        assert!(no_latin(&DocumentError::InvalidLocation.russian()));
    }

    #[test]
    fn a_field_is_named_as_the_window_names_it() {
        let invalid = |path: &str| DocumentError::InvalidValue { path: path.into(), reason: "not a status".into() };
        assert_eq!(invalid("status").russian(), "это значение не подходит для поля «статус»");
        assert_eq!(invalid("address/city").russian(), "это значение не подходит для поля «адрес · город»");
        assert_eq!(
            invalid("contacts/0190e0a4-0000-7000-8000-000000000000/phone").russian(),
            "это значение не подходит для поля «контакт · телефон»"
        );
        assert_eq!(invalid("colour").russian(), "это значение не подходит для поля «colour»");
    }

    #[test]
    fn sizes_refusals_and_definitions_are_said_in_russian() {
        assert_eq!(
            SizeError::ChangeTooLarge { limit_bytes: crate::limits::MAX_CHANGE_BYTES }.russian(),
            "изменение слишком большое: больше 1 МБ без сжатия"
        );
        assert_eq!(bytes_in_words(1000), "1000 Б");
        for refusal in
            [Refusal::ForgedAuthor("x".into()), Refusal::ManagersOnly("x".into()), Refusal::RewritesLayout("x".into())]
        {
            assert!(no_latin(&refusal.russian()), "{refusal:?}");
        }
        assert_eq!(DefinitionError::NoQuestions.russian(), "в анкете нет вопросов");
        assert!(no_latin(&SizeError::Malformed("bad magic".into()).russian()));
    }
}
