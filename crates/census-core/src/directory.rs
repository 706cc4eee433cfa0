//! The directory: who works for the company, the territories they survey, and the
//! questionnaires they fill in. The server keeps it; devices keep a copy for working offline.

use serde::{Deserialize, Serialize};

use crate::ids::{TerritoryId, UserId};
use crate::questionnaire::Questionnaire;

/// What a person may do: agents survey their territories, managers oversee every prospect,
/// admins manage the directory.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Manager,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "agent" => Ok(Role::Agent),
            "manager" => Ok(Role::Manager),
            "admin" => Ok(Role::Admin),
            _ => Err(format!("\"{text}\" is not a role; use agent, manager or admin")),
        }
    }
}

/// A person who signs in to Census.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: UserId,
    /// The name shown in history and conflicts, e.g. "Анна Смирнова".
    pub name: String,
    pub login: String,
    pub role: Role,
    /// Retired people keep their history but can no longer sign in.
    #[serde(default)]
    pub retired: bool,
}

/// A sales territory: an area surveyed by the agents assigned to it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Territory {
    pub id: TerritoryId,
    pub name: String,
    /// How many prospects the survey is expected to find, for coverage.
    #[serde(default)]
    pub planned_prospects: Option<u32>,
    /// The agents assigned to it.
    #[serde(default)]
    pub agents: Vec<UserId>,
}

/// The directory as a device receives it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    pub people: Vec<Person>,
    pub territories: Vec<Territory>,
    /// Published questionnaire versions; each (id, version) never changes once published.
    pub questionnaires: Vec<Questionnaire>,
}
