//! The manager's dashboard: coverage per territory, the status funnel, categories, and visits per
//! agent per day, all counted from the projections (no document is opened), for a territory, an
//! agent and a period.

use census_core::{Status, TerritoryId, Timestamp, UserId};
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::ReplicaError;
use crate::replica::Replica;

/// What the dashboard counts. With an agent or a period, the funnel and categories count the
/// prospects visited by that agent in that period; coverage always counts whole territories.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardFilter {
    pub territory: Option<TerritoryId>,
    pub agent: Option<UserId>,
    /// Visits at or after this moment.
    pub from: Option<Timestamp>,
    /// Visits before this moment.
    pub until: Option<Timestamp>,
}

/// A count under a name (a status, a category).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub key: String,
    pub count: u32,
}

/// One territory's census so far.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub territory: String,
    pub prospects: u32,
    /// Prospects with at least one visit.
    pub surveyed: u32,
    /// Prospects visited in the period (all visited ones when there is no period).
    pub visited_in_period: u32,
}

/// One agent's visits on one day (UTC).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentDay {
    pub agent: UserId,
    /// `YYYY-MM-DD`.
    pub day: String,
    pub visits: u32,
}

/// Every figure of the dashboard.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Every status, in the funnel's order, zeros included.
    pub by_status: Vec<Tally>,
    /// Categories, the largest first.
    pub by_category: Vec<Tally>,
    pub coverage: Vec<Coverage>,
    /// Oldest day first, then by agent.
    pub visits_per_day: Vec<AgentDay>,
}

/// A `WHERE` condition and its arguments, built from the filters that are set, so that SQLite
/// can use an index for each of them (`?1 IS NULL OR territory = ?1` would defeat it).
#[derive(Default)]
struct Condition {
    sql: Vec<String>,
    args: Vec<rusqlite::types::Value>,
}

impl Condition {
    /// Numbers `clause`'s `?` after the arguments so far, and takes `value` as its argument.
    fn bind(&mut self, clause: &str, value: impl Into<rusqlite::types::Value>) -> String {
        self.args.push(value.into());
        clause.replace('?', &format!("?{}", self.args.len()))
    }

    fn and(&mut self, clause: &str, value: impl Into<rusqlite::types::Value>) {
        let clause = self.bind(clause, value);
        self.sql.push(clause);
    }

    fn and_also(&mut self, clause: &str) {
        self.sql.push(clause.to_owned());
    }

    fn text(&self) -> String {
        if self.sql.is_empty() { "1".into() } else { self.sql.join(" AND ") }
    }
}

/// The clauses on visits (`v`): by the agent and in the period asked about, their arguments
/// bound in `condition`; none when neither is asked about.
fn visit_clauses(filter: &DashboardFilter, condition: &mut Condition) -> Vec<String> {
    let mut clauses = Vec::new();
    if let Some(agent) = filter.agent {
        clauses.push(condition.bind("v.agent = ?", agent.as_bytes().to_vec()));
    }
    if let Some(from) = filter.from {
        clauses.push(condition.bind("v.at >= ?", from.unix_millis()));
    }
    if let Some(until) = filter.until {
        clauses.push(condition.bind("v.at < ?", until.unix_millis()));
    }
    clauses
}

/// `row IN (…)` for the prospects with such a visit, looked up once; none when nothing is asked.
fn visited_rows(filter: &DashboardFilter, condition: &mut Condition) -> Option<String> {
    let clauses = visit_clauses(filter, condition);
    (!clauses.is_empty())
        .then(|| format!("row IN (SELECT v.row FROM prospect_visits v WHERE {})", clauses.join(" AND ")))
}

/// Visible prospects, in the territory asked about.
fn prospect_condition(filter: &DashboardFilter, alias: &str) -> Condition {
    let mut condition = Condition::default();
    condition.and_also(&format!("{alias}deleted = 0 AND {alias}merged_into IS NULL"));
    if let Some(territory) = filter.territory {
        condition.and(&format!("{alias}territory = ?"), territory.to_string());
    }
    condition
}

impl Replica {
    /// Every dashboard figure for the filter.
    pub fn dashboard(&self, filter: &DashboardFilter) -> Result<Dashboard, ReplicaError> {
        // The funnel and the categories from one pass over the rows (of a narrow index).
        let mut scope = prospect_condition(filter, "");
        if let Some(visited) = visited_rows(filter, &mut scope) {
            scope.and_also(&visited);
        }
        let sql = format!(
            "SELECT status, category, count(*) FROM prospects WHERE {} GROUP BY status, category",
            scope.text()
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let groups = statement.query_map(rusqlite::params_from_iter(&scope.args), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, u32>(2)?))
        })?;
        let mut statuses: HashMap<String, u32> = HashMap::new();
        let mut categories: HashMap<String, u32> = HashMap::new();
        for group in groups {
            let (status, category, count) = group?;
            *statuses.entry(status).or_default() += count;
            *categories.entry(category).or_default() += count;
        }
        let by_status = Status::ALL
            .iter()
            .map(|s| Tally { key: s.as_str().to_owned(), count: statuses.get(s.as_str()).copied().unwrap_or(0) })
            .collect();
        let mut by_category: Vec<Tally> = categories.into_iter().map(|(key, count)| Tally { key, count }).collect();
        by_category.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));

        // Coverage counts whole territories; "visited in the period" looks the period's visits up once.
        let mut whole = Condition::default();
        let in_period = visited_rows(&DashboardFilter { agent: None, ..filter.clone() }, &mut whole)
            .unwrap_or_else(|| "visits > 0".to_owned());
        whole.and_also("deleted = 0 AND merged_into IS NULL");
        if let Some(territory) = filter.territory {
            whole.and("territory = ?", territory.to_string());
        }
        let sql = format!(
            "SELECT territory, count(*), sum(visits > 0), sum({in_period}) FROM prospects WHERE {} \
             GROUP BY territory ORDER BY territory",
            whole.text()
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(&whole.args), |r| {
            Ok(Coverage {
                territory: r.get(0)?,
                prospects: r.get(1)?,
                surveyed: r.get(2)?,
                visited_in_period: r.get(3)?,
            })
        })?;
        let coverage = rows.collect::<Result<_, _>>()?;

        const DAY: i64 = 86_400_000;
        let mut visits = prospect_condition(filter, "p.");
        for clause in visit_clauses(filter, &mut visits) {
            visits.and_also(&clause);
        }
        let sql = format!(
            "SELECT v.agent, v.at / 86400000 AS day, count(*) FROM prospect_visits v JOIN prospects p ON p.row = v.row \
             WHERE {} GROUP BY day, v.agent ORDER BY day, v.agent",
            visits.text()
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(&visits.args), |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get(2)?))
        })?;
        let mut visits_per_day = Vec::new();
        for row in rows {
            let (agent, day, visits) = row?;
            let agent = agent.try_into().map_err(|_| ReplicaError::Corrupt("a visit's agent is unreadable".into()))?;
            let day = Timestamp::from_unix_millis(day * DAY).to_utc_string();
            visits_per_day.push(AgentDay { agent: UserId::from_bytes(agent), day: day[..10].to_owned(), visits });
        }
        Ok(Dashboard { by_status, by_category, coverage, visits_per_day })
    }
}
