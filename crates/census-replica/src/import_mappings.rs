//! Column mappings a manager saved, to import next month's file from the same spreadsheet
//! without mapping its columns again. They are kept on this device, by name.

use census_core::{Localized, SavedMapping};
use rusqlite::{OptionalExtension, params};

use crate::error::ReplicaError;
use crate::replica::Replica;

fn damaged(e: serde_json::Error) -> ReplicaError {
    ReplicaError::Corrupt(format!("a saved column mapping is damaged: {e}"))
}

impl Replica {
    /// Keeps `mapping` under its name, in place of one saved before under the same name.
    pub fn save_import_mapping(&self, mapping: &SavedMapping) -> Result<(), ReplicaError> {
        let body = serde_json::to_string(mapping).map_err(damaged)?;
        self.conn.execute(
            "INSERT INTO import_mappings (name, body) VALUES (?1, ?2) \
             ON CONFLICT (name) DO UPDATE SET body = excluded.body",
            params![mapping.name, body],
        )?;
        Ok(())
    }

    /// The saved mappings, by name.
    pub fn import_mappings(&self) -> Result<Vec<SavedMapping>, ReplicaError> {
        let mut statement = self.conn.prepare("SELECT body FROM import_mappings ORDER BY name")?;
        let bodies = statement.query_map([], |r| r.get::<_, String>(0))?;
        bodies.map(|body| serde_json::from_str(&body?).map_err(damaged)).collect()
    }

    /// The mapping saved as `name`.
    pub fn import_mapping(&self, name: &str) -> Result<SavedMapping, ReplicaError> {
        let body: Option<String> =
            self.conn.query_row("SELECT body FROM import_mappings WHERE name = ?1", [name], |r| r.get(0)).optional()?;
        let body = body.ok_or_else(|| {
            ReplicaError::Import(Localized::new(
                format!("нет сохранённого сопоставления колонок «{name}»"),
                format!("no column mapping is saved as \"{name}\""),
            ))
        })?;
        serde_json::from_str(&body).map_err(damaged)
    }

    /// The saved mapping that knows most of these headers (at least one), if any.
    pub fn best_import_mapping(&self, headers: &[String]) -> Result<Option<SavedMapping>, ReplicaError> {
        let mut best: Option<(usize, SavedMapping)> = None;
        for mapping in self.import_mappings()? {
            let known = mapping.known_columns(headers);
            if known > 0 && best.as_ref().is_none_or(|(most, _)| known > *most) {
                best = Some((known, mapping));
            }
        }
        Ok(best.map(|(_, mapping)| mapping))
    }

    /// Forgets the mapping saved as `name` (nothing happens when there is none).
    pub fn delete_import_mapping(&self, name: &str) -> Result<(), ReplicaError> {
        self.conn.execute("DELETE FROM import_mappings WHERE name = ?1", [name])?;
        Ok(())
    }
}
