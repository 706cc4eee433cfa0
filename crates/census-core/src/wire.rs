//! The sync wire format: the binary bodies that carry Automerge changes between devices and the
//! server.
//!
//! Every body is a frame:
//!
//! ```text
//! "CNSW" | format version (1 byte) | body kind (1 byte) | body ... | CRC-32 of all before (4 bytes, LE)
//! ```
//!
//! Integers are unsigned LEB128 varints, ids are 16 raw bytes, byte strings and texts are a
//! varint length then the bytes. The checksum catches damage in transit that would otherwise
//! hand a corrupt Automerge change to the store; the version byte lets a future format be refused
//! with a clear message rather than misread. Decoding checks every length against what is left,
//! so random, truncated or damaged input is an error, never a panic or a huge allocation.
//! Compression is applied by the HTTP layer around the frame.
//!
//! A [`Projection`] travels inside a bootstrap page as its own small encoding (no frame: the
//! page's frame covers it), led by its [`PROJECTION_VERSION`].

use crate::ids::{ProspectId, TerritoryId, UserId};
use crate::projection::{PROJECTION_VERSION, Projection, ProspectRow, VisitEntry};
use crate::prospect::{ReviewState, Status};
use crate::time::Timestamp;

const MAGIC: &[u8; 4] = b"CNSW";
/// The wire format version this code writes and reads.
pub const FORMAT_VERSION: u8 = 1;
const HEADER_LEN: usize = 6;
const CHECKSUM_LEN: usize = 4;

/// What kind of document a change belongs to. Only prospects are synced as documents today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Prospect,
}

impl DocKind {
    pub fn code(self) -> u64 {
        match self {
            DocKind::Prospect => 1,
        }
    }

    fn from_code(code: u64) -> Result<Self, DecodeError> {
        match code {
            1 => Ok(DocKind::Prospect),
            other => Err(DecodeError::UnknownDocKind(other)),
        }
    }
}

/// One change pushed by a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushItem {
    pub doc: ProspectId,
    pub kind: DocKind,
    /// The territory the document is in after this change, as the device sees it; the server
    /// checks the user may write there.
    pub territory: TerritoryId,
    /// A raw Automerge change.
    pub change: Vec<u8>,
}

/// A batch of changes from one device, in causal order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushBatch {
    pub items: Vec<PushItem>,
}

/// What the server did with one pushed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored durably under this sequence number.
    Stored { seq: u64 },
    /// The server already had it (a retry); this is its sequence number.
    AlreadyStored { seq: u64 },
    /// Refused; nothing of it was stored. `code` is stable, `message` is for people.
    Refused { code: String, message: String },
}

/// The server's answer to a push: one outcome per item, in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushResult {
    pub outcomes: Vec<PushOutcome>,
}

/// One change in a pull page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledChange {
    pub seq: u64,
    pub doc: ProspectId,
    pub kind: DocKind,
    pub change: Vec<u8>,
}

/// A page of the change feed of one scope (a territory), in sequence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullPage {
    pub scope: TerritoryId,
    pub changes: Vec<PulledChange>,
    /// Where the next pull of this scope starts.
    pub next_cursor: u64,
    /// Whether this page reached the end of the feed.
    pub up_to_date: bool,
    /// Documents that moved out of this scope (to a territory the reader may not see) within
    /// this page's range of the feed.
    pub departed: Vec<ProspectId>,
    /// How many changes of this scope come after this page, for a progress bar.
    pub remaining: u64,
}

/// A document as a compacted snapshot, with its projection (encoded by [`Projection::encode`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotItem {
    pub doc: ProspectId,
    pub kind: DocKind,
    /// A saved Automerge document.
    pub snapshot: Vec<u8>,
    pub projection: Vec<u8>,
}

/// A page of a scope's documents as snapshots, in document id order, for a device that has
/// none of them yet: it stores them as they are and then pulls the scope from `watermark`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapPage {
    pub scope: TerritoryId,
    /// Every change of the scope up to this point of the feed is in the snapshots (later ones
    /// may be too: applying a change twice changes nothing).
    pub watermark: u64,
    pub docs: Vec<SnapshotItem>,
    /// Whether this page reached the scope's last document.
    pub up_to_date: bool,
    /// How many documents come after this page, for a progress bar.
    pub remaining: u64,
}

/// Why a body could not be decoded. The messages are meant for logs and error responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("this is not a Census sync body (it does not start with CNSW)")]
    NotCensus,
    #[error("the sync body uses format version {0}, but this Census understands version {FORMAT_VERSION}; update it")]
    UnsupportedVersion(u8),
    #[error("expected a {expected} body but got a {found}")]
    WrongKind { expected: &'static str, found: &'static str },
    #[error("unknown sync body kind {0}")]
    UnknownKind(u8),
    #[error("the sync body is damaged: its checksum does not match")]
    ChecksumMismatch,
    #[error("the sync body is cut short")]
    Truncated,
    #[error("the sync body has a malformed number")]
    BadNumber,
    #[error("the sync body has text that is not UTF-8")]
    BadText,
    #[error("the sync body names an unknown document kind {0}")]
    UnknownDocKind(u64),
    #[error("the sync body has an unknown push outcome {0}")]
    UnknownOutcome(u64),
    #[error("the sync body has {0} unexpected bytes at its end")]
    TrailingBytes(usize),
    #[error("the sync body has a projection of version {0}, but this Census makes version {PROJECTION_VERSION}")]
    OtherProjectionVersion(u64),
    #[error("the sync body has an unknown value \"{0}\"")]
    UnknownValue(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    PushBatch = 1,
    PushResult = 2,
    PullPage = 3,
    BootstrapPage = 4,
}

impl BodyKind {
    fn name(self) -> &'static str {
        match self {
            BodyKind::PushBatch => "push batch",
            BodyKind::PushResult => "push result",
            BodyKind::PullPage => "pull page",
            BodyKind::BootstrapPage => "bootstrap page",
        }
    }

    fn from_byte(byte: u8) -> Result<Self, DecodeError> {
        match byte {
            1 => Ok(BodyKind::PushBatch),
            2 => Ok(BodyKind::PushResult),
            3 => Ok(BodyKind::PullPage),
            4 => Ok(BodyKind::BootstrapPage),
            other => Err(DecodeError::UnknownKind(other)),
        }
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn new(kind: BodyKind) -> Self {
        let mut bytes = Vec::with_capacity(256);
        bytes.extend_from_slice(MAGIC);
        bytes.push(FORMAT_VERSION);
        bytes.push(kind as u8);
        Writer(bytes)
    }

    fn varint(&mut self, mut n: u64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }

    fn id(&mut self, bytes: &[u8; 16]) {
        self.0.extend_from_slice(bytes);
    }

    /// A signed number, zigzag-encoded so that small negatives stay short.
    fn signed(&mut self, n: i64) {
        self.varint(((n << 1) ^ (n >> 63)) as u64);
    }

    fn float(&mut self, x: f64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }

    /// An optional value: a 0 or 1 byte, then the value if present.
    fn option<T>(&mut self, value: Option<T>, mut write: impl FnMut(&mut Self, T)) {
        self.varint(u64::from(value.is_some()));
        if let Some(value) = value {
            write(self, value);
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn finish(mut self) -> Vec<u8> {
        let crc = crc32fast::hash(&self.0);
        self.0.extend_from_slice(&crc.to_le_bytes());
        self.0
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Checks the frame (magic, version, kind, checksum) and returns a reader over the body.
    fn open(frame: &'a [u8], expected: BodyKind) -> Result<Self, DecodeError> {
        if frame.len() < 4 || &frame[..4] != MAGIC {
            return Err(if MAGIC.starts_with(frame) { DecodeError::Truncated } else { DecodeError::NotCensus });
        }
        if frame.len() < HEADER_LEN + CHECKSUM_LEN {
            return Err(DecodeError::Truncated);
        }
        // The checksum comes first: a damaged version byte is damage, not a newer Census. Every
        // format version keeps the CRC-32 trailer.
        let (content, checksum) = frame.split_at(frame.len() - CHECKSUM_LEN);
        let expected_crc = u32::from_le_bytes([checksum[0], checksum[1], checksum[2], checksum[3]]);
        if crc32fast::hash(content) != expected_crc {
            return Err(DecodeError::ChecksumMismatch);
        }
        if frame[4] != FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion(frame[4]));
        }
        let kind = BodyKind::from_byte(frame[5])?;
        if kind != expected {
            return Err(DecodeError::WrongKind { expected: expected.name(), found: kind.name() });
        }
        Ok(Reader { bytes: content, pos: HEADER_LEN })
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            let part = u64::from(byte & 0x7f);
            if shift == 63 && part > 1 {
                return Err(DecodeError::BadNumber);
            }
            value |= part << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::BadNumber)
    }

    fn id(&mut self) -> Result<[u8; 16], DecodeError> {
        let mut id = [0; 16];
        id.copy_from_slice(self.take(16)?);
        Ok(id)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, DecodeError> {
        let len = usize::try_from(self.varint()?).map_err(|_| DecodeError::Truncated)?;
        Ok(self.take(len)?.to_vec())
    }

    fn text(&mut self) -> Result<String, DecodeError> {
        String::from_utf8(self.bytes()?).map_err(|_| DecodeError::BadText)
    }

    fn signed(&mut self) -> Result<i64, DecodeError> {
        let n = self.varint()?;
        Ok((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    fn float(&mut self) -> Result<f64, DecodeError> {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(self.take(8)?);
        Ok(f64::from_le_bytes(bytes))
    }

    fn option<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T, DecodeError>) -> Result<Option<T>, DecodeError> {
        if self.bool()? { read(self).map(Some) } else { Ok(None) }
    }

    fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.varint()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::BadNumber),
        }
    }

    /// An item count, refused when even the smallest items could not fit in what is left, so a
    /// forged count cannot make the decoder reserve memory.
    fn count(&mut self, min_item_len: usize) -> Result<usize, DecodeError> {
        let n = usize::try_from(self.varint()?).map_err(|_| DecodeError::Truncated)?;
        if n.saturating_mul(min_item_len) > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    fn finish(self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }
}

impl PushBatch {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(BodyKind::PushBatch);
        w.varint(self.items.len() as u64);
        for item in &self.items {
            w.id(item.doc.as_bytes());
            w.varint(item.kind.code());
            w.id(item.territory.as_bytes());
            w.bytes(&item.change);
        }
        w.finish()
    }

    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::open(frame, BodyKind::PushBatch)?;
        let n = r.count(34)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(PushItem {
                doc: ProspectId::from_bytes(r.id()?),
                kind: DocKind::from_code(r.varint()?)?,
                territory: TerritoryId::from_bytes(r.id()?),
                change: r.bytes()?,
            });
        }
        r.finish()?;
        Ok(PushBatch { items })
    }
}

impl PushResult {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(BodyKind::PushResult);
        w.varint(self.outcomes.len() as u64);
        for outcome in &self.outcomes {
            match outcome {
                PushOutcome::Stored { seq } => {
                    w.varint(0);
                    w.varint(*seq);
                }
                PushOutcome::AlreadyStored { seq } => {
                    w.varint(1);
                    w.varint(*seq);
                }
                PushOutcome::Refused { code, message } => {
                    w.varint(2);
                    w.bytes(code.as_bytes());
                    w.bytes(message.as_bytes());
                }
            }
        }
        w.finish()
    }

    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::open(frame, BodyKind::PushResult)?;
        let n = r.count(2)?;
        let mut outcomes = Vec::with_capacity(n);
        for _ in 0..n {
            outcomes.push(match r.varint()? {
                0 => PushOutcome::Stored { seq: r.varint()? },
                1 => PushOutcome::AlreadyStored { seq: r.varint()? },
                2 => PushOutcome::Refused { code: r.text()?, message: r.text()? },
                other => return Err(DecodeError::UnknownOutcome(other)),
            });
        }
        r.finish()?;
        Ok(PushResult { outcomes })
    }
}

impl PullPage {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(BodyKind::PullPage);
        w.id(self.scope.as_bytes());
        w.varint(self.next_cursor);
        w.varint(u64::from(self.up_to_date));
        w.varint(self.changes.len() as u64);
        for change in &self.changes {
            w.varint(change.seq);
            w.id(change.doc.as_bytes());
            w.varint(change.kind.code());
            w.bytes(&change.change);
        }
        w.varint(self.departed.len() as u64);
        for doc in &self.departed {
            w.id(doc.as_bytes());
        }
        w.varint(self.remaining);
        w.finish()
    }

    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::open(frame, BodyKind::PullPage)?;
        let scope = TerritoryId::from_bytes(r.id()?);
        let next_cursor = r.varint()?;
        let up_to_date = r.bool()?;
        let n = r.count(19)?;
        let mut changes = Vec::with_capacity(n);
        for _ in 0..n {
            changes.push(PulledChange {
                seq: r.varint()?,
                doc: ProspectId::from_bytes(r.id()?),
                kind: DocKind::from_code(r.varint()?)?,
                change: r.bytes()?,
            });
        }
        let n = r.count(16)?;
        let mut departed = Vec::with_capacity(n);
        for _ in 0..n {
            departed.push(ProspectId::from_bytes(r.id()?));
        }
        let remaining = r.varint()?;
        r.finish()?;
        Ok(PullPage { scope, changes, next_cursor, up_to_date, departed, remaining })
    }
}

impl BootstrapPage {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(BodyKind::BootstrapPage);
        w.id(self.scope.as_bytes());
        w.varint(self.watermark);
        w.varint(u64::from(self.up_to_date));
        w.varint(self.remaining);
        w.varint(self.docs.len() as u64);
        for item in &self.docs {
            w.id(item.doc.as_bytes());
            w.varint(item.kind.code());
            w.bytes(&item.snapshot);
            w.bytes(&item.projection);
        }
        w.finish()
    }

    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::open(frame, BodyKind::BootstrapPage)?;
        let scope = TerritoryId::from_bytes(r.id()?);
        let watermark = r.varint()?;
        let up_to_date = r.bool()?;
        let remaining = r.varint()?;
        let n = r.count(19)?;
        let mut docs = Vec::with_capacity(n);
        for _ in 0..n {
            docs.push(SnapshotItem {
                doc: ProspectId::from_bytes(r.id()?),
                kind: DocKind::from_code(r.varint()?)?,
                snapshot: r.bytes()?,
                projection: r.bytes()?,
            });
        }
        r.finish()?;
        Ok(BootstrapPage { scope, watermark, docs, up_to_date, remaining })
    }
}

impl Projection {
    /// The projection as bytes, led by [`PROJECTION_VERSION`].
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(256));
        let row = &self.row;
        w.varint(PROJECTION_VERSION);
        w.id(row.id.as_bytes());
        w.bytes(row.territory.as_bytes());
        w.bytes(row.name.as_bytes());
        w.bytes(row.category.as_bytes());
        w.bytes(row.status.as_str().as_bytes());
        w.option(row.review_state, |w, r| w.bytes(r.as_str().as_bytes()));
        w.varint(u64::from(row.has_conflicts));
        w.option(row.merged_into.as_deref(), |w, m| w.bytes(m.as_bytes()));
        w.varint(u64::from(row.deleted));
        w.bytes(row.address.as_bytes());
        w.bytes(row.phones.as_bytes());
        w.option(row.lat, Writer::float);
        w.option(row.lon, Writer::float);
        w.varint(u64::from(row.visits));
        w.option(row.last_visit_at, |w, t| w.signed(t.unix_millis()));
        w.signed(row.created_at.unix_millis());
        w.signed(row.updated_at.unix_millis());
        w.varint(u64::from(row.awaiting_review));
        w.bytes(self.contacts.as_bytes());
        w.bytes(self.notes.as_bytes());
        w.varint(self.visits.len() as u64);
        for visit in &self.visits {
            w.signed(visit.at.unix_millis());
            w.id(visit.agent.as_bytes());
        }
        w.varint(self.distinct_from.len() as u64);
        for other in &self.distinct_from {
            w.id(other.as_bytes());
        }
        w.0
    }

    /// Reads a projection made by [`Projection::encode`]; one of another version is refused
    /// with [`DecodeError::OtherProjectionVersion`] (derive it from the document instead).
    pub fn decode(bytes: &[u8]) -> Result<Projection, DecodeError> {
        let mut r = Reader { bytes, pos: 0 };
        let version = r.varint()?;
        if version != PROJECTION_VERSION {
            return Err(DecodeError::OtherProjectionVersion(version));
        }
        let unknown = |text: String| DecodeError::UnknownValue(text);
        let id = ProspectId::from_bytes(r.id()?);
        let territory = r.text()?;
        let name = r.text()?;
        let category = r.text()?;
        let status = r.text()?;
        let status: Status = status.parse().map_err(|_| unknown(status))?;
        let review_state = r.option(Reader::text)?;
        let review_state = match review_state {
            Some(text) => Some(ReviewState::parse(&text).ok_or_else(|| unknown(text))?),
            None => None,
        };
        let row = ProspectRow {
            id,
            territory,
            name,
            category,
            status,
            review_state,
            has_conflicts: r.bool()?,
            merged_into: r.option(Reader::text)?,
            deleted: r.bool()?,
            address: r.text()?,
            phones: r.text()?,
            lat: r.option(Reader::float)?,
            lon: r.option(Reader::float)?,
            visits: u32::try_from(r.varint()?).map_err(|_| DecodeError::BadNumber)?,
            last_visit_at: r.option(Reader::signed)?.map(Timestamp::from_unix_millis),
            created_at: Timestamp::from_unix_millis(r.signed()?),
            updated_at: Timestamp::from_unix_millis(r.signed()?),
            awaiting_review: r.bool()?,
        };
        let (contacts, notes) = (r.text()?, r.text()?);
        let count = r.varint()?;
        let mut visits = Vec::new();
        for _ in 0..count {
            let at = Timestamp::from_unix_millis(r.signed()?);
            visits.push(VisitEntry { at, agent: UserId::from_bytes(r.id()?) });
        }
        let count = r.varint()?;
        let mut distinct_from = Vec::new();
        for _ in 0..count {
            distinct_from.push(ProspectId::from_bytes(r.id()?));
        }
        let projection = Projection { row, contacts, notes, visits, distinct_from };
        r.finish()?;
        Ok(projection)
    }
}
