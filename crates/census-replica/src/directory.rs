//! The directory cache: the people, territories and questionnaires last received from the
//! server, so a device can show names and fill in questionnaires with no network.

use census_core::{Directory, Localized, Person, Questionnaire, QuestionnaireId, Territory};
use rusqlite::{OptionalExtension, params};

use crate::error::ReplicaError;
use crate::replica::Replica;

impl Replica {
    /// Replaces the cached people and territories with `directory`'s, and adds its
    /// questionnaire versions (a published version never changes, so one already cached is
    /// kept). A questionnaire whose definition does not hold together is refused, and then
    /// nothing is cached.
    pub fn cache_directory(&mut self, directory: &Directory) -> Result<(), ReplicaError> {
        for questionnaire in &directory.questionnaires {
            if let Err(problems) = questionnaire.check_definition() {
                let russian: Vec<String> = problems.iter().map(|p| p.russian()).collect();
                let english: Vec<String> = problems.iter().map(ToString::to_string).collect();
                return Err(ReplicaError::InvalidQuestionnaire(Localized::new(russian.join("; "), english.join("; "))));
            }
        }
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM people", [])?;
        tx.execute("DELETE FROM territories", [])?;
        for person in &directory.people {
            tx.execute(
                "INSERT OR REPLACE INTO people (id, body) VALUES (?1, ?2)",
                params![person.id.as_bytes(), to_json(person)?],
            )?;
        }
        for territory in &directory.territories {
            tx.execute(
                "INSERT OR REPLACE INTO territories (id, body) VALUES (?1, ?2)",
                params![territory.id.as_bytes(), to_json(territory)?],
            )?;
        }
        for q in &directory.questionnaires {
            tx.execute(
                "INSERT OR IGNORE INTO questionnaires (id, version, body) VALUES (?1, ?2, ?3)",
                params![q.id.as_bytes(), q.version, to_json(q)?],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Caches one person (the one who signs in, known before the first directory arrives).
    pub(crate) fn cache_person(conn: &rusqlite::Connection, person: &Person) -> Result<(), ReplicaError> {
        conn.execute(
            "INSERT OR REPLACE INTO people (id, body) VALUES (?1, ?2)",
            params![person.id.as_bytes(), to_json(person)?],
        )?;
        Ok(())
    }

    /// The cached people, by name.
    pub fn people(&self) -> Result<Vec<Person>, ReplicaError> {
        let mut people: Vec<Person> = self.read_bodies("SELECT body FROM people")?;
        people.sort_by(|a, b| census_core::compare_names(&a.name, &b.name));
        Ok(people)
    }

    /// The cached territories, by name.
    pub fn territories(&self) -> Result<Vec<Territory>, ReplicaError> {
        let mut territories: Vec<Territory> = self.read_bodies("SELECT body FROM territories")?;
        territories.sort_by(|a, b| census_core::compare_names(&a.name, &b.name));
        Ok(territories)
    }

    /// The latest version of each cached questionnaire.
    pub fn questionnaires(&self) -> Result<Vec<Questionnaire>, ReplicaError> {
        self.read_bodies(
            "SELECT body FROM questionnaires q WHERE version = (SELECT max(version) FROM questionnaires WHERE id = q.id)",
        )
    }

    /// One questionnaire: the given version, or the latest when `version` is `None`.
    pub fn questionnaire(&self, id: QuestionnaireId, version: Option<u32>) -> Result<Questionnaire, ReplicaError> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM questionnaires WHERE id = ?1 AND (?2 IS NULL OR version = ?2) \
                 ORDER BY version DESC LIMIT 1",
                params![id.as_bytes(), version],
                |r| r.get(0),
            )
            .optional()?;
        let body = body.ok_or(ReplicaError::UnknownQuestionnaire { id, version })?;
        serde_json::from_str(&body).map_err(|_| ReplicaError::Corrupt("a cached questionnaire is damaged".into()))
    }

    fn read_bodies<T: serde::de::DeserializeOwned>(&self, sql: &str) -> Result<Vec<T>, ReplicaError> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let bodies = statement.query_map([], |r| r.get::<_, String>(0))?;
        let mut items = Vec::new();
        for body in bodies {
            items.push(
                serde_json::from_str(&body?)
                    .map_err(|_| ReplicaError::Corrupt("the cached directory is damaged".into()))?,
            );
        }
        Ok(items)
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ReplicaError> {
    serde_json::to_string(value).map_err(|e| ReplicaError::Storage(e.to_string()))
}
