//! The manager's dashboard: coverage per territory, the status funnel, categories, and visits per
//! agent per day, all counted from the projections (no document is opened), for a territory, an
//! agent and a period.

use census_core::{Status, TerritoryId, Timestamp, UserId};
use rusqlite::params;
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

/// Visible prospects in the territory asked about (?1), visited by the agent (?2) in the period
/// (?3..?4) when either is asked about.
const IN_SCOPE: &str = "deleted = 0 AND merged_into IS NULL AND (?1 IS NULL OR territory = ?1) \
     AND ((?2 IS NULL AND ?3 IS NULL AND ?4 IS NULL) OR EXISTS (SELECT 1 FROM prospect_visits v \
     WHERE v.row = prospects.row AND (?2 IS NULL OR v.agent = ?2) AND (?3 IS NULL OR v.at >= ?3) \
     AND (?4 IS NULL OR v.at < ?4)))";

impl Replica {
    /// Every dashboard figure for the filter.
    pub fn dashboard(&self, filter: &DashboardFilter) -> Result<Dashboard, ReplicaError> {
        let territory = filter.territory.map(|t| t.to_string());
        let agent = filter.agent.map(|a| a.as_bytes().to_vec());
        let (from, until) = (filter.from.map(|t| t.unix_millis()), filter.until.map(|t| t.unix_millis()));
        let args = params![territory, agent, from, until];

        let tallies = |sql: &str| -> Result<Vec<Tally>, ReplicaError> {
            let mut statement = self.conn.prepare_cached(sql)?;
            let rows = statement.query_map(args, |r| Ok(Tally { key: r.get(0)?, count: r.get(1)? }))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let counted = tallies(&format!("SELECT status, count(*) FROM prospects WHERE {IN_SCOPE} GROUP BY status"))?;
        let by_status = Status::ALL
            .iter()
            .map(|s| Tally {
                key: s.as_str().to_owned(),
                count: counted.iter().find(|t| t.key == s.as_str()).map_or(0, |t| t.count),
            })
            .collect();
        let by_category = tallies(&format!(
            "SELECT category, count(*) AS n FROM prospects WHERE {IN_SCOPE} GROUP BY category ORDER BY n DESC, category"
        ))?;

        let mut statement = self.conn.prepare_cached(
            "SELECT territory, count(*), sum(visits > 0), sum(EXISTS (SELECT 1 FROM prospect_visits v \
             WHERE v.row = prospects.row AND (?2 IS NULL OR v.at >= ?2) AND (?3 IS NULL OR v.at < ?3))) \
             FROM prospects WHERE deleted = 0 AND merged_into IS NULL AND (?1 IS NULL OR territory = ?1) \
             GROUP BY territory ORDER BY territory",
        )?;
        let rows = statement.query_map(params![territory, from, until], |r| {
            Ok(Coverage {
                territory: r.get(0)?,
                prospects: r.get(1)?,
                surveyed: r.get(2)?,
                visited_in_period: r.get(3)?,
            })
        })?;
        let coverage = rows.collect::<Result<_, _>>()?;

        const DAY: i64 = 86_400_000;
        let mut statement = self.conn.prepare_cached(
            "SELECT v.agent, v.at / 86400000 AS day, count(*) FROM prospect_visits v JOIN prospects p ON p.row = v.row \
             WHERE p.deleted = 0 AND p.merged_into IS NULL AND (?1 IS NULL OR p.territory = ?1) \
             AND (?2 IS NULL OR v.agent = ?2) AND (?3 IS NULL OR v.at >= ?3) AND (?4 IS NULL OR v.at < ?4) \
             GROUP BY day, v.agent ORDER BY day, v.agent",
        )?;
        let rows = statement.query_map(args, |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get(2)?)))?;
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
