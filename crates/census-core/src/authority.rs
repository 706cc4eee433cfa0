//! Who may write what inside a prospect, read from a change's operations alone.
//!
//! Territories decide which prospects a person may touch (the server's access rules); this
//! module decides which parts of a prospect a change may write, and whose name it may sign:
//!
//! - **Authorship.** A change names its author in its message; it must be the person who
//!   pushes it. So must a prospect's `created.by`, a review's `by`, and an agent's new visit's
//!   `agent` (a manager's merge carries other agents' visits onto the survivor, so managers may
//!   name others there). A visit's agent and `created` are written once and never again.
//! - **Decisions.** A review, a merge mark (`merged_into`), a pair set apart (`distinct_from`)
//!   and a deletion are managers' decisions: an agent's change that writes them is refused.
//! - **Layout.** The containers a prospect's first change makes (address, contacts, tags,
//!   visits, photos, notes, created) and its id are never made again or replaced: a second
//!   `visits` map would hide every visit recorded in the first.
//!
//! Automerge operations name the object they write by the id of the operation that made it,
//! not by its path. Objects made in the change itself get their place from the operation that
//! made them; objects made earlier are asked of a [`Lookup`], which the server answers from a
//! table it fills as it stores changes ([`Claims::new_objects`] says what to keep), and a
//! device from its document. So the server never loads a document to check a change.
//!
//! Settling a conflict never needs a decision field: a conflict is settled by writing the field
//! in conflict, and agents are never offered the decisions' conflicts.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use automerge::ScalarValue;
use automerge::legacy::{Key, ObjectId, OpType};

use crate::directory::Role;
use crate::ids::UserId;
use crate::prospect_doc::ChangeOrigin;

/// An Automerge object, named as Automerge names it: by the operation that made it (its
/// counter and its actor).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub counter: u64,
    pub actor: Vec<u8>,
}

impl ObjectRef {
    /// A compact key: the counter (8 bytes, big-endian) then the actor's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.counter.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.actor);
        bytes
    }

    /// The id Automerge's documents use for this object (`counter@actor`).
    pub fn to_automerge_id(&self) -> String {
        let actor: String = self.actor.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}@{actor}", self.counter)
    }
}

/// The parts of a prospect whose objects the rules must recognise in later changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    /// The `visits` map.
    Visits,
    /// One visit's map.
    Visit,
    /// A review's map, or anything inside it.
    Review,
    /// The `created` map.
    Created,
    /// The `distinct_from` map.
    DistinctFrom,
}

impl Region {
    pub fn code(self) -> u8 {
        match self {
            Region::Visits => 1,
            Region::Visit => 2,
            Region::Review => 3,
            Region::Created => 4,
            Region::DistinctFrom => 5,
        }
    }

    pub fn from_code(code: u8) -> Option<Region> {
        [Region::Visits, Region::Visit, Region::Review, Region::Created, Region::DistinctFrom]
            .into_iter()
            .find(|r| r.code() == code)
    }

    /// The region of an object at `path` (keys from the root down), as a device finds it in its
    /// document.
    pub fn of_path(path: &[&str]) -> Option<Region> {
        match path {
            ["visits"] => Some(Region::Visits),
            ["visits", _] => Some(Region::Visit),
            ["review", ..] => Some(Region::Review),
            ["created", ..] => Some(Region::Created),
            ["distinct_from", ..] => Some(Region::DistinctFrom),
            _ => None,
        }
    }

    /// The region of an object made at `key` inside an object of region `parent` (`None`: the
    /// root or an unremarkable object).
    fn of_child(parent: Option<Region>, at_root: bool, key: Option<&str>) -> Option<Region> {
        if at_root {
            return match key {
                Some("visits") => Some(Region::Visits),
                Some("review") => Some(Region::Review),
                Some("created") => Some(Region::Created),
                Some("distinct_from") => Some(Region::DistinctFrom),
                _ => None,
            };
        }
        match parent? {
            Region::Visits => Some(Region::Visit),
            Region::Visit => None,
            inherited => Some(inherited),
        }
    }
}

/// Where the regions of objects made by earlier changes are found.
pub trait Lookup {
    fn region_of(&mut self, object: &ObjectRef) -> Option<Region>;
}

impl Lookup for HashMap<ObjectRef, Region> {
    fn region_of(&mut self, object: &ObjectRef) -> Option<Region> {
        self.get(object).copied()
    }
}

/// The person a change is checked against: who pushes it (on the server) or makes it (on a
/// device), and their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pusher {
    pub user: UserId,
    pub role: Role,
}

impl Pusher {
    fn decides(&self) -> bool {
        self.role >= Role::Manager
    }
}

/// Why a change may not be kept, with its code for the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    ForgedAuthor(String),
    #[error("{0}")]
    ManagersOnly(String),
    #[error("{0}")]
    RewritesLayout(String),
}

impl Refusal {
    /// The protocol's error code (see `docs/protocol.md`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::ForgedAuthor(_) => "forged_author",
            Refusal::ManagersOnly(_) => "managers_only",
            Refusal::RewritesLayout(_) => "rewrites_layout",
        }
    }
}

/// What an operation does, as far as the rules need to know.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Make,
    Delete,
    /// A text written at a key the rules read (an author's id).
    PutText(String),
    PutFlag(bool),
    PutOther,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ClaimedOp {
    /// `None` for the document's root.
    obj: Option<ObjectRef>,
    /// The key in a map; `None` for a position in a list or a text.
    key: Option<String>,
    action: Action,
    /// Whether it supersedes values already there (Automerge's predecessors).
    overwrites: bool,
}

/// Keys whose text values the rules compare with the author.
const AUTHOR_KEYS: [&str; 2] = ["by", "agent"];

/// Root keys only a prospect's first change writes.
const LAYOUT_KEYS: [&str; 9] = ["schema", "id", "address", "contacts", "tags", "visits", "photos", "notes", "created"];

/// What a change says it does: its stated author and its operations, read once when the change
/// arrives, checked later against who pushed it ([`Claims::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    author: Option<UserId>,
    /// The stated author as written, for messages: an id that does not parse still shows.
    stated: Option<String>,
    actor: Vec<u8>,
    start_op: u64,
    ops: Vec<ClaimedOp>,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_automerge_id())
    }
}

impl Claims {
    /// Reads a decoded change. Each of its operations takes one counter from `start_op` on.
    pub fn read(change: &automerge::Change) -> Claims {
        let origin = ChangeOrigin::from_message(change.message());
        let stated = change
            .message()
            .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
            .and_then(|v| v.get("user").and_then(|u| u.as_str().map(str::to_owned)));
        let expanded = change.decode();
        let ops = expanded
            .operations
            .into_iter()
            .map(|op| {
                let key = match &op.key {
                    Key::Map(key) => Some(key.to_string()),
                    Key::Seq(_) => None,
                };
                let action = match &op.action {
                    OpType::Make(_) => Action::Make,
                    OpType::Delete => Action::Delete,
                    OpType::Put(ScalarValue::Str(text)) if key.as_deref().is_some_and(|k| AUTHOR_KEYS.contains(&k)) => {
                        Action::PutText(text.to_string())
                    }
                    OpType::Put(ScalarValue::Boolean(flag)) => Action::PutFlag(*flag),
                    OpType::Put(_) => Action::PutOther,
                    _ => Action::Other,
                };
                let obj = match op.obj {
                    ObjectId::Root => None,
                    ObjectId::Id(id) => Some(ObjectRef { counter: id.0, actor: id.1.to_bytes().to_vec() }),
                };
                ClaimedOp { obj, key, action, overwrites: !op.pred.is_empty() }
            })
            .collect();
        Claims {
            author: origin.user,
            stated,
            actor: change.actor_id().to_bytes().to_vec(),
            start_op: change.start_op().get(),
            ops,
        }
    }

    /// The objects made by earlier changes that this change writes in: what a [`Lookup`] is
    /// asked about, so a store can fetch them all at once.
    pub fn objects_written(&self) -> BTreeSet<ObjectRef> {
        let made = self.start_op..self.start_op + self.ops.len() as u64;
        self.ops
            .iter()
            .filter_map(|op| op.obj.as_ref())
            .filter(|obj| !(obj.actor == self.actor && made.contains(&obj.counter)))
            .cloned()
            .collect()
    }

    /// The objects this change makes that later changes must be checked against: what a store
    /// keeps for its [`Lookup`]. Applies no rule (for learning from changes already stored).
    pub fn new_objects(&self, lookup: &mut impl Lookup) -> Vec<(ObjectRef, Region)> {
        self.walk(false, None, lookup).unwrap_or_default()
    }

    /// Checks the change against `pusher`: its stated author, the authorship fields it writes,
    /// the decisions it makes, the layout it keeps. `first` says whether it is the prospect's
    /// first change. On success, returns the objects to keep, as [`Claims::new_objects`] does.
    pub fn check(
        &self,
        first: bool,
        pusher: Pusher,
        lookup: &mut impl Lookup,
    ) -> Result<Vec<(ObjectRef, Region)>, Refusal> {
        match (&self.author, &self.stated) {
            (Some(author), _) if *author == pusher.user => {}
            (_, Some(stated)) => {
                return Err(Refusal::ForgedAuthor(format!(
                    "the change names {stated} as its author, but the device of {} pushed it; a change \
                     must name the person signed in on the device that made it",
                    pusher.user
                )));
            }
            (_, None) => {
                return Err(Refusal::ForgedAuthor(
                    "the change does not name its author; every change must name the person signed in \
                     on the device that made it"
                        .into(),
                ));
            }
        }
        self.walk(first, Some(pusher), lookup)
    }

    /// Goes through the operations in order, placing every object made on the way, and applies
    /// the rules when there is a `pusher`.
    fn walk(
        &self,
        first: bool,
        pusher: Option<Pusher>,
        lookup: &mut impl Lookup,
    ) -> Result<Vec<(ObjectRef, Region)>, Refusal> {
        // Objects made in this change (by counter) and their regions; objects made earlier, as
        // looked up.
        let mut made: HashMap<u64, Option<Region>> = HashMap::new();
        let mut earlier: HashMap<ObjectRef, Option<Region>> = HashMap::new();
        for (index, op) in self.ops.iter().enumerate() {
            let (region, made_here) = match &op.obj {
                None => (None, true),
                Some(obj) if obj.actor == self.actor && made.contains_key(&obj.counter) => (made[&obj.counter], true),
                Some(obj) => (*earlier.entry(obj.clone()).or_insert_with(|| lookup.region_of(obj)), false),
            };
            if let Some(pusher) = pusher {
                check_op(op, region, made_here, first, pusher)?;
            }
            if op.action == Action::Make {
                let counter = self.start_op + index as u64;
                made.insert(counter, Region::of_child(region, op.obj.is_none(), op.key.as_deref()));
            }
        }
        let mut new: Vec<(ObjectRef, Region)> = made
            .into_iter()
            .filter_map(|(counter, region)| Some((ObjectRef { counter, actor: self.actor.clone() }, region?)))
            .collect();
        new.sort_by_key(|(obj, _)| obj.counter);
        Ok(new)
    }
}

/// One operation against the rules. `region` is where it writes (`None` with `made_here` and
/// no object: the root); `made_here` says whether that object was made in this change.
fn check_op(
    op: &ClaimedOp,
    region: Option<Region>,
    made_here: bool,
    first: bool,
    pusher: Pusher,
) -> Result<(), Refusal> {
    let key = op.key.as_deref();
    let managers_only = |what: &str| {
        if pusher.decides() {
            Ok(())
        } else {
            Err(Refusal::ManagersOnly(format!("{what} is a manager's decision; an agent's change cannot make it")))
        }
    };
    let signed_by_pusher = |what: &str| match &op.action {
        Action::PutText(text) if *text == pusher.user.to_string() => Ok(()),
        Action::PutText(text) => Err(Refusal::ForgedAuthor(format!(
            "the change names {text} as {what}, but the device of {} pushed it",
            pusher.user
        ))),
        _ => Err(Refusal::ForgedAuthor(format!("the change writes {what} without naming its author"))),
    };
    if op.obj.is_none() {
        let Some(key) = key else { return Ok(()) };
        return match key {
            "deleted" if first && op.action == Action::PutFlag(false) => Ok(()),
            "distinct_from" if first && op.action == Action::Make => Ok(()),
            "review" => managers_only("a review"),
            "merged_into" => managers_only("marking a prospect merged into another"),
            "distinct_from" => managers_only("setting two prospects apart"),
            "deleted" => managers_only("deleting or restoring a prospect"),
            _ if first || !LAYOUT_KEYS.contains(&key) => Ok(()),
            _ => Err(Refusal::RewritesLayout(format!(
                "the change writes \"{key}\" anew, which only a prospect's first change may make"
            ))),
        };
    }
    match region {
        None => Ok(()),
        Some(Region::Review) => {
            managers_only("a review")?;
            if key == Some("by") { signed_by_pusher("the reviewer") } else { Ok(()) }
        }
        Some(Region::Created) if made_here && first => {
            if key == Some("by") {
                signed_by_pusher("the prospect's creator")
            } else {
                Ok(())
            }
        }
        Some(Region::Created) => {
            Err(Refusal::RewritesLayout("who created a prospect, and when, is written once and never again".into()))
        }
        Some(Region::DistinctFrom) => managers_only("setting two prospects apart"),
        Some(Region::Visits) => match op.action {
            Action::Make if !op.overwrites => Ok(()),
            _ => Err(Refusal::RewritesLayout("a recorded visit stays; it cannot be removed or replaced".into())),
        },
        Some(Region::Visit) if key == Some("agent") => {
            if !made_here {
                return Err(Refusal::ForgedAuthor("a visit's agent is written once, when it is recorded".into()));
            }
            // A manager's merge carries other agents' visits onto the survivor.
            if pusher.decides() { Ok(()) } else { signed_by_pusher("the visit's agent") }
        }
        Some(Region::Visit) => Ok(()),
    }
}
