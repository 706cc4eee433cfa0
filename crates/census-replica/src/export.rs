//! Export of the projection to CSV, for spreadsheets: one row per prospect the filter shows,
//! with its Census id so an edited file can be imported back onto the same prospects.

use std::collections::HashMap;
use std::io::Write;

use census_core::Timestamp;

use crate::error::ReplicaError;
use crate::queries::ListFilter;
use crate::replica::Replica;

/// The header row. Names are stable: imports and scripts rely on them.
pub const CSV_COLUMNS: [&str; 16] = [
    "census_id",
    "name",
    "category",
    "status",
    "territory",
    "review_state",
    "has_conflicts",
    "address",
    "phones",
    "lat",
    "lon",
    "visits",
    "last_visit_at",
    "created_at",
    "updated_at",
    "territory_id",
];

impl Replica {
    /// Writes every prospect `filter` shows (all pages) as CSV in UTF-8 with a byte-order mark,
    /// which spreadsheet programs need to read Cyrillic correctly. Returns the number of rows.
    pub fn export_csv<W: Write>(&self, filter: &ListFilter, out: W) -> Result<u64, ReplicaError> {
        let territory_names: HashMap<String, String> =
            self.territories()?.into_iter().map(|t| (t.id.to_string(), t.name)).collect();
        let failed = |e: &dyn std::fmt::Display| ReplicaError::Export(e.to_string());
        let mut out = out;
        out.write_all("\u{feff}".as_bytes()).map_err(|e| failed(&e))?;
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(CSV_COLUMNS).map_err(|e| failed(&e))?;
        let time = |t: Option<Timestamp>| t.map(|t| t.to_utc_string()).unwrap_or_default();
        let mut count = 0;
        self.for_each_row(filter, |row| {
            let territory = territory_names.get(&row.territory).cloned().unwrap_or_default();
            csv.write_record([
                row.id.to_string(),
                row.name,
                row.category,
                row.status.as_str().to_owned(),
                territory,
                row.review_state.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                if row.has_conflicts { "yes" } else { "no" }.to_owned(),
                row.address,
                row.phones,
                row.lat.map(|v| v.to_string()).unwrap_or_default(),
                row.lon.map(|v| v.to_string()).unwrap_or_default(),
                row.visits.to_string(),
                time(row.last_visit_at),
                time(Some(row.created_at)),
                time(Some(row.updated_at)),
                row.territory,
            ])
            .map_err(|e| failed(&e))?;
            count += 1;
            Ok(())
        })?;
        csv.flush().map_err(|e| failed(&e))?;
        Ok(count)
    }
}
