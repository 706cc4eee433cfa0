//! The replica's and the sync client's errors in Russian: the same clause as the English message
//! (lower-case, no full stop), with the ids, paths, addresses and numbers it names. SQLite's,
//! the network's and other libraries' texts only exist in English and are left out; the Russian
//! says what happened and what to do. A server's refusal is said by its code, since its message
//! is the server's English.

use crate::error::ReplicaError;
use crate::sync_client::{SyncError, UntrustedCertificate};

impl ReplicaError {
    /// The error in Russian.
    pub fn russian(&self) -> String {
        match self {
            ReplicaError::NotAReplica => {
                "этот файл — не база данных Census (это база данных другого вида); выберите другой файл".into()
            }
            ReplicaError::NewerSchema { found, supported } => format!(
                "эту базу данных записала более новая версия Census (схема {found}, эта версия читает до {supported}); \
                 обновите Census, чтобы открыть её"
            ),
            ReplicaError::Corrupt(_) => {
                "база данных Census на этом устройстве повреждена и не читается; обратитесь к администратору".into()
            }
            ReplicaError::DiskFull => "данные на устройстве не записываются: диск заполнен; освободите место".into(),
            ReplicaError::ReadOnly => {
                "данные на устройстве не записываются: файл базы данных или его папка доступны только для чтения".into()
            }
            ReplicaError::Busy => {
                "база данных Census занята другой программой; закройте её там и попробуйте снова".into()
            }
            ReplicaError::Missing(path) => format!("по пути {path} нет базы данных Census"),
            ReplicaError::AlreadyExists(path) => format!("по пути {path} уже есть база данных Census"),
            ReplicaError::SignedOut => {
                "на этом устройстве никто не вошёл в систему; войдите (один раз, когда есть сеть), прежде чем вносить изменения"
                    .into()
            }
            ReplicaError::UnknownProspect(id) => format!("точки {id} нет на этом устройстве"),
            ReplicaError::ProspectExists(id) => format!("точка {id} уже есть"),
            ReplicaError::AlreadyMerged(id) => {
                format!("точка {id} уже объединена с другой точкой; объединяйте с той")
            }
            ReplicaError::UnknownQuestionnaire { id, version: Some(version) } => format!(
                "версии {version} анкеты {id} нет на этом устройстве; синхронизируйте устройство, чтобы получить её"
            ),
            ReplicaError::UnknownQuestionnaire { id, version: None } => {
                format!("анкеты {id} нет на этом устройстве; синхронизируйте устройство, чтобы получить её")
            }
            ReplicaError::InvalidQuestionnaire(problems) => format!("анкетой нельзя пользоваться: {}", problems.ru),
            ReplicaError::WrongQuestionnaire => {
                "визит заполнен по другой анкете (или другой её версии), чем указанная".into()
            }
            ReplicaError::VisitExists(id) => format!("визит {id} уже записан"),
            ReplicaError::Document(e) => e.russian(),
            ReplicaError::InvalidPhoto(problem) => problem.ru.clone(),
            ReplicaError::Export(_) => {
                "файл выгрузки не записан; проверьте, что на диске есть место и есть права на запись в папку".into()
            }
            ReplicaError::Import(problem) => format!("файл не импортируется: {}", problem.ru),
            ReplicaError::MapFolder(detail) => format!("в папку карт нельзя записать: {detail}"),
            ReplicaError::Storage(_) => {
                "ошибка хранения данных на устройстве; попробуйте ещё раз, а если ошибка повторится, обратитесь к администратору"
                    .into()
            }
            ReplicaError::Stopped => "остановлено до завершения".into(),
        }
    }
}

impl SyncError {
    /// The error in Russian.
    pub fn russian(&self) -> String {
        match self {
            SyncError::Offline(_) => {
                "нет связи с сервером; работа сохранена на этом устройстве и уйдёт при следующей синхронизации".into()
            }
            SyncError::WrongPassword => "неверный логин или пароль".into(),
            SyncError::TooManyAttempts(message) => {
                format!("слишком много неудачных попыток входа под этим логином; {}", try_again(message))
            }
            SyncError::Revoked => {
                "это устройство отключено администратором и больше не синхронизируется; ваша работа остаётся на нём".into()
            }
            SyncError::SignedOut => {
                "войдите, чтобы синхронизироваться: на этом устройстве нет действующего входа (возможно, его срок истёк)"
                    .into()
            }
            // The window says the server refused it; this says why.
            SyncError::Refused { code, message } => refusal(code, message),
            SyncError::Server(message) => server_failed("сервер не смог выполнить запрос", message),
            SyncError::BadAddress(address) => {
                format!("«{address}» — не адрес сервера: укажите его в виде https://census.example.com")
            }
            SyncError::PlainHttp(address) => format!(
                "{address} — адрес без шифрования (http): пароли и клиентская база пойдут по сети открыто, их сможет \
                 прочитать любой в этой сети; используйте https:// или подключайтесь по http только в сети, которой доверяете"
            ),
            SyncError::Untrusted(why) => format!(
                "это устройство не доверяет сертификату сервера ({}); если у вашей компании свой центр сертификации, \
                 укажите его сертификат",
                why.russian()
            ),
            SyncError::BadAuthority(_) => {
                "сертификат центра сертификации компании не подходит: нужен файл .pem с сертификатом".into()
            }
            SyncError::Replica(e) => e.russian(),
        }
    }
}

impl UntrustedCertificate {
    /// Why the certificate was not accepted, in Russian.
    pub fn russian(&self) -> String {
        match self {
            UntrustedCertificate::UnknownIssuer => "он подписан центром сертификации, которого это устройство не знает",
            UntrustedCertificate::OtherName => "он выдан для другого имени сервера",
            UntrustedCertificate::Expired => "срок его действия истёк",
            UntrustedCertificate::NotValidYet => "срок его действия ещё не начался",
            UntrustedCertificate::Revoked => "он отозван",
            UntrustedCertificate::Other(_) => "он не прошёл проверку",
        }
        .into()
    }
}

/// A server's refusal in Russian, by its code (`docs/protocol.md`; the sync server's
/// `ApiError::code`), with the wait its message names where it ends by itself.
fn refusal(code: &str, message: &str) -> String {
    match code {
        "bad_request" => "в запросе ошибка; проверьте введённые данные".into(),
        "bad_body" => {
            "сервер не смог прочитать присланные данные; синхронизируйтесь ещё раз, а если не поможет, обновите Census"
                .into()
        }
        "too_large" => "запрос слишком большой для сервера; отправьте данные меньшими частями".into(),
        "no_token" => "для этого запроса нужно войти в систему на этом устройстве".into(),
        "wrong_password" => "неверный логин или пароль".into(),
        "bad_token" => "вход на этом устройстве недействителен (истёк, отозван или неизвестен); войдите снова".into(),
        "device_revoked" => "это устройство отключено администратором и больше не синхронизируется".into(),
        "too_many_attempts" => {
            format!("слишком много неудачных попыток входа под этим логином; {}", try_again(message))
        }
        "too_many_sign_ins" => format!("слишком много входов с этого адреса; {}", try_again(message)),
        "busy" => format!("сервер занят входом других сотрудников; {}", try_again(message)),
        "slow_body" => "данные шли до сервера слишком медленно; отправьте их снова, когда связь будет лучше".into(),
        "timeout" => "сервер отвечал слишком долго; попробуйте ещё раз".into(),
        "forbidden" => "у вас нет на это прав (например, территория больше не ваша или это может сделать только \
                        менеджер или администратор)"
            .into(),
        "not_found" => "на сервере нет того, о чём запрос (сотрудника, устройства или территории); синхронизируйте \
                        устройство и попробуйте снова"
            .into(),
        "conflict" => "это противоречит тому, что уже есть на сервере (например, такой логин уже занят, эта версия \
                       анкеты уже опубликована или устройство зарегистрировано на другого сотрудника)"
            .into(),
        "device_id_taken" => {
            "идентификатор этого устройства уже занят; сбросьте данные приложения, чтобы устройство получило новый"
                .into()
        }
        "internal" => server_failed("на сервере произошёл сбой", message),
        "another_server" => {
            "по этому адресу теперь отвечает другой сервер Census; войдите снова, чтобы синхронизироваться с ним".into()
        }
        status if !status.is_empty() && status.bytes().all(|b| b.is_ascii_digit()) => {
            format!("сервер ответил кодом {status}; проверьте адрес сервера")
        }
        _ => "попробуйте позже, а если не поможет, обратитесь к администратору".into(),
    }
}

/// Why the server refused one pushed change, in Russian, by its code (`docs/protocol.md`).
pub(crate) fn change_refusal(code: &str) -> String {
    match code {
        "outside_your_territories" => "точка не в ваших территориях (или перестала быть вашей слишком давно)",
        "unknown_territory" => "такой территории на сервере нет",
        "unknown_prospect" => "на сервере ещё нет первого изменения этой точки",
        "wrong_prospect" => "изменение относится к другой точке, чем та, с которой оно отправлено",
        "change_too_large" => "изменение слишком велико; сервер его не принимает",
        "document_too_large" => "точка стала бы слишком большой; это и следующие её изменения не приняты",
        "foreign_actor" => "изменение сделано на другом устройстве; устройство отправляет только свои изменения",
        "undecodable_change" => "изменение повреждено и не читается",
        "duplicate_sequence" => "изменение повторяет номер уже принятого изменения этого устройства",
        "forged_author" => "в изменении указан другой автор, чем вошедший на устройстве сотрудник",
        "managers_only" => "такое решение может принять только менеджер или администратор",
        "rewrites_layout" => "изменение пересоздаёт то, что создано при появлении точки",
        "held_back" => "более раннее изменение этой точки в той же отправке не принято",
        _ => "сервер не принял изменение",
    }
    .into()
}

/// The server failed (`what` says so), with the id its log keeps the cause under when its
/// message names one.
fn server_failed(what: &str, message: &str) -> String {
    let request = message
        .rsplit_once("request id ")
        .map(|(_, id)| id.trim())
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    match request {
        Some(id) => format!("{what} (номер запроса в журнале сервера: {id}); попробуйте позже"),
        None => format!("{what}; попробуйте позже"),
    }
}

/// When to try again, from the seconds a refusal's message names ("try again in 4 second(s)").
fn try_again(message: &str) -> String {
    match first_number(message) {
        Some(seconds) => format!("попробуйте снова через {}", wait_in_words(seconds)),
        None => "попробуйте снова немного позже".into(),
    }
}

fn first_number(text: &str) -> Option<u64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits: String = text[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A wait in seconds, or in minutes (rounded up) from a minute on.
fn wait_in_words(seconds: u64) -> String {
    if seconds < 60 {
        let seconds = seconds.max(1);
        format!("{seconds} {}", plural(seconds, ["секунду", "секунды", "секунд"]))
    } else {
        let minutes = seconds.div_ceil(60);
        format!("{minutes} {}", plural(minutes, ["минуту", "минуты", "минут"]))
    }
}

/// The Russian form for `n`: one (1, 21), few (2–4, 22–24), many (5–20, 25…).
fn plural(n: u64, [one, few, many]: [&'static str; 3]) -> &'static str {
    match (n % 10, n % 100) {
        (1, 11) => many,
        (1, _) => one,
        (2..=4, 12..=14) => many,
        (2..=4, _) => few,
        _ => many,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use census_core::{DocumentError, Localized, ProspectId};

    #[test]
    fn every_refusal_of_a_change_the_server_makes_has_its_own_words() {
        let codes = [
            "outside_your_territories",
            "unknown_territory",
            "unknown_prospect",
            "wrong_prospect",
            "change_too_large",
            "document_too_large",
            "foreign_actor",
            "undecodable_change",
            "duplicate_sequence",
            "forged_author",
            "managers_only",
            "rewrites_layout",
            "held_back",
        ];
        let general = change_refusal("some_new_code");
        for code in codes {
            let words = change_refusal(code);
            assert_ne!(words, general, "{code}");
            assert!(!words.chars().any(|c| c.is_ascii_alphabetic()), "{words}");
        }
    }

    #[test]
    fn replica_errors_are_said_in_russian() {
        let empty = ReplicaError::Import(Localized::new("файл пуст", "the file is empty"));
        assert_eq!(empty.russian(), "файл не импортируется: файл пуст");
        let id = ProspectId::from_bytes([1; 16]);
        assert_eq!(ReplicaError::UnknownProspect(id).russian(), format!("точки {id} нет на этом устройстве"));
        let damaged = ReplicaError::Corrupt("database disk image is malformed".into()).russian();
        assert!(!damaged.contains("malformed"), "SQLite's English stays out: {damaged}");
        assert_eq!(
            ReplicaError::Document(DocumentError::InvalidLocation).russian(),
            DocumentError::InvalidLocation.russian()
        );
        assert_eq!(ReplicaError::Stopped.russian(), "остановлено до завершения");
    }

    #[test]
    fn sync_errors_are_said_in_russian() {
        assert_eq!(SyncError::WrongPassword.russian(), "неверный логин или пароль");
        let offline = SyncError::Offline("tcp connect error: Connection refused (os error 111)".into()).russian();
        assert!(!offline.contains("refused") && offline.starts_with("нет связи с сервером"), "{offline}");
        let slowed =
            SyncError::TooManyAttempts("too many failed sign-ins for this login; try again in 180 second(s)".into());
        assert_eq!(
            slowed.russian(),
            "слишком много неудачных попыток входа под этим логином; попробуйте снова через 3 минуты"
        );
        let crowded = SyncError::Refused {
            code: "busy".into(),
            message: "the server is busy signing others in; try again in 1 second(s)".into(),
        };
        assert_eq!(crowded.russian(), "сервер занят входом других сотрудников; попробуйте снова через 1 секунду");
        let failed = SyncError::Server(
            "the server could not complete the request; its log tells why under request id 0123456789abcdef".into(),
        );
        assert_eq!(
            failed.russian(),
            "сервер не смог выполнить запрос (номер запроса в журнале сервера: 0123456789abcdef); попробуйте позже"
        );
        let expired = SyncError::Untrusted(UntrustedCertificate::Expired).russian();
        assert!(expired.contains("срок его действия истёк"), "{expired}");
        let proxy = SyncError::Refused { code: "404".into(), message: "status 404 Not Found: <html>".into() };
        assert_eq!(proxy.russian(), "сервер ответил кодом 404; проверьте адрес сервера");
    }

    #[test]
    fn waits_are_said_with_the_right_form() {
        let said: Vec<String> = [1, 2, 5, 11, 21, 22, 59, 60, 61, 150].into_iter().map(wait_in_words).collect();
        assert_eq!(
            said,
            [
                "1 секунду",
                "2 секунды",
                "5 секунд",
                "11 секунд",
                "21 секунду",
                "22 секунды",
                "59 секунд",
                "1 минуту",
                "2 минуты",
                "3 минуты"
            ]
        );
        assert_eq!(try_again("wait"), "попробуйте снова немного позже");
    }
}
