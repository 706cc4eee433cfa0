//! How large a change and a prospect's document may be, measured before Automerge reads them.
//!
//! Changes and saved documents arrive from devices and servers that are not trusted. Automerge
//! inflates a compressed change, and a document's compressed columns, without any limit, and
//! its run-length encoded columns let a few bytes claim billions of operations, which it then
//! walks one by one. So every byte string is measured here first: compressed parts are inflated
//! only up to the limit (never further), and each column's run lengths are added up without
//! expanding them. Bytes over a limit are refused before Automerge sees them.
//!
//! The same limits hold on every side: the server refuses a pushed change over them, a device
//! refuses to make such a change (its edit fails with a clear error instead of creating a change
//! that would be refused and hold back every later change of the prospect), and a device
//! applying pulled changes or stored snapshots refuses oversized ones.
//!
//! A document's size is the sum of its changes, each counted as Automerge writes it
//! uncompressed: its bytes and its operations. The server adds them up as changes arrive; a
//! device adds up the changes its document holds.

use std::io::Read;

/// The largest change, in bytes as Automerge writes it uncompressed.
pub const MAX_CHANGE_BYTES: u64 = 1 << 20;
/// The most operations one change may hold (a character typed into notes is one operation).
pub const MAX_CHANGE_OPS: u64 = 100_000;
/// The largest prospect: the sum of its changes' bytes...
pub const MAX_DOCUMENT_BYTES: u64 = 8 << 20;
/// ...and of their operations.
pub const MAX_DOCUMENT_OPS: u64 = 500_000;

/// The size of a change, or of a document as the sum of its changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub bytes: u64,
    pub ops: u64,
}

impl Size {
    pub fn plus(self, other: Size) -> Size {
        Size { bytes: self.bytes.saturating_add(other.bytes), ops: self.ops.saturating_add(other.ops) }
    }

    /// Refuses a document of this size.
    pub fn check_document(self) -> Result<(), SizeError> {
        if self.bytes > MAX_DOCUMENT_BYTES {
            return Err(SizeError::DocumentTooLarge { limit_bytes: MAX_DOCUMENT_BYTES });
        }
        if self.ops > MAX_DOCUMENT_OPS {
            return Err(SizeError::DocumentTooManyOperations { limit: MAX_DOCUMENT_OPS });
        }
        Ok(())
    }

    /// Refuses a change of this size.
    pub fn check_change(self) -> Result<(), SizeError> {
        if self.bytes > MAX_CHANGE_BYTES {
            return Err(SizeError::ChangeTooLarge { limit_bytes: MAX_CHANGE_BYTES });
        }
        if self.ops > MAX_CHANGE_OPS {
            return Err(SizeError::ChangeTooManyOperations { limit: MAX_CHANGE_OPS });
        }
        Ok(())
    }
}

/// Why bytes were refused before Automerge read them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("the change is larger than {limit_bytes} bytes once inflated")]
    ChangeTooLarge { limit_bytes: u64 },
    #[error("the change holds more than {limit} operations")]
    ChangeTooManyOperations { limit: u64 },
    #[error("the prospect would be larger than {limit_bytes} bytes, the most Census keeps of one prospect")]
    DocumentTooLarge { limit_bytes: u64 },
    #[error("the prospect would hold more than {limit} operations, the most Census keeps of one prospect")]
    DocumentTooManyOperations { limit: u64 },
    #[error("the bytes are not an Automerge change or document: {0}")]
    Malformed(String),
}

impl SizeError {
    /// Whether the bytes were refused for their size (rather than for being damaged).
    pub fn is_too_large(&self) -> bool {
        !matches!(self, SizeError::Malformed(_))
    }
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT_CHUNK: u8 = 0;
const CHANGE_CHUNK: u8 = 1;
const COMPRESSED_CHANGE_CHUNK: u8 = 2;
/// The operations' action column (id 4, unsigned integers), in changes and documents alike.
const ACTION_COLUMN: u32 = (4 << 4) | 2;
const DEFLATE_BIT: u32 = 0b1000;

fn malformed(what: &str) -> SizeError {
    SizeError::Malformed(what.to_owned())
}

/// Measures one raw change (plain or compressed) without inflating it past [`MAX_CHANGE_BYTES`]
/// and refuses it when it is over a limit. Bytes left after the change are refused too.
pub fn measure_change(bytes: &[u8]) -> Result<Size, SizeError> {
    let mut input = Reader::new(bytes);
    let size = change_chunk(&mut input)?;
    if !input.is_empty() {
        return Err(malformed("there are bytes after the change"));
    }
    Ok(size)
}

/// Measures a saved document: a document chunk and any change chunks after it, as a device
/// stores a prospect. Compressed columns are inflated only up to [`MAX_DOCUMENT_BYTES`] in all.
/// The size of a document chunk counts what it holds, not the changes it was made from, so this
/// bounds memory rather than telling the document's size as the server counts it.
pub fn measure_saved(bytes: &[u8]) -> Result<Size, SizeError> {
    let mut input = Reader::new(bytes);
    let mut total = Size::default();
    while !input.is_empty() {
        let kind = input.peek_chunk_type()?;
        let size = if kind == DOCUMENT_CHUNK {
            document_chunk(&mut input, MAX_DOCUMENT_BYTES.saturating_sub(total.bytes))?
        } else {
            change_chunk(&mut input)?
        };
        total = total.plus(size);
        total.check_document()?;
    }
    Ok(total)
}

/// A change chunk's header: its type and its data.
fn chunk_header<'a>(input: &mut Reader<'a>) -> Result<(u8, &'a [u8]), SizeError> {
    if input.take(4)? != MAGIC {
        return Err(malformed("it does not start as Automerge data does"));
    }
    input.take(4)?; // checksum, checked by Automerge once the size is known to be safe
    let kind = input.byte()?;
    let len = input.uleb()?;
    let data = input.take(usize::try_from(len).map_err(|_| malformed("a length is too large"))?)?;
    Ok((kind, data))
}

fn change_chunk(input: &mut Reader<'_>) -> Result<Size, SizeError> {
    let (kind, data) = chunk_header(input)?;
    let inflated;
    let body = match kind {
        CHANGE_CHUNK => data,
        COMPRESSED_CHANGE_CHUNK => {
            inflated = inflate_at_most(data, MAX_CHANGE_BYTES)
                .ok_or(SizeError::ChangeTooLarge { limit_bytes: MAX_CHANGE_BYTES })?
                .map_err(|e| SizeError::Malformed(format!("its compressed data is damaged: {e}")))?;
            &inflated[..]
        }
        other => return Err(SizeError::Malformed(format!("a chunk of type {other} is not a change"))),
    };
    // As Automerge writes it uncompressed: magic, checksum, type, length, data.
    let bytes = 9 + uleb_len(body.len() as u64) + body.len() as u64;
    if bytes > MAX_CHANGE_BYTES {
        return Err(SizeError::ChangeTooLarge { limit_bytes: MAX_CHANGE_BYTES });
    }
    let ops = change_operations(body)?;
    let size = Size { bytes, ops };
    size.check_change()?;
    Ok(size)
}

/// Counts a change's operations from its columns, refusing any column that claims too many.
fn change_operations(body: &[u8]) -> Result<u64, SizeError> {
    let mut input = Reader::new(body);
    let deps = input.uleb()?;
    for _ in 0..deps {
        input.take(32)?;
    }
    input.length_prefixed()?; // actor
    input.uleb()?; // seq
    let start_op = input.uleb()?;
    input.sleb()?; // time
    input.length_prefixed()?; // message
    let other_actors = input.uleb()?;
    for _ in 0..other_actors {
        input.length_prefixed()?;
    }
    let columns = column_specs(&mut input)?;
    let mut ops = 0;
    for (spec, len) in columns {
        if spec & DEFLATE_BIT != 0 {
            return Err(malformed("a change's columns may not be compressed"));
        }
        let data = input.take(len)?;
        let items = column_items(spec, data, MAX_CHANGE_OPS, Values::Counters)?
            .ok_or(SizeError::ChangeTooManyOperations { limit: MAX_CHANGE_OPS })?;
        if spec == ACTION_COLUMN {
            ops = items;
        }
    }
    if start_op.saturating_add(ops) > u64::from(u32::MAX) {
        return Err(malformed("an operation's counter does not fit in 32 bits"));
    }
    Ok(ops)
}

/// Measures a document chunk, inflating its compressed columns up to `budget` bytes in all.
fn document_chunk(input: &mut Reader<'_>, budget: u64) -> Result<Size, SizeError> {
    let too_large = SizeError::DocumentTooLarge { limit_bytes: MAX_DOCUMENT_BYTES };
    let (_, data) = chunk_header(input)?;
    let mut chunk = Reader::new(data);
    let actors = chunk.uleb()?;
    for _ in 0..actors {
        chunk.length_prefixed()?;
    }
    let heads = chunk.uleb()?;
    for _ in 0..heads {
        chunk.take(32)?;
    }
    let change_columns = column_specs(&mut chunk)?;
    let op_columns = column_specs(&mut chunk)?;
    let mut bytes = 9 + uleb_len(data.len() as u64) + data.len() as u64;
    let mut ops = 0;
    for (index, (spec, len)) in change_columns.iter().chain(&op_columns).enumerate() {
        let stored = chunk.take(*len)?;
        let inflated;
        let column = if spec & DEFLATE_BIT != 0 {
            inflated = inflate_at_most(stored, budget.saturating_sub(bytes))
                .ok_or_else(|| too_large.clone())?
                .map_err(|e| SizeError::Malformed(format!("a compressed column is damaged: {e}")))?;
            bytes += (inflated.len() as u64).saturating_sub(stored.len() as u64);
            &inflated[..]
        } else {
            stored
        };
        if bytes > budget {
            return Err(too_large);
        }
        // A change's metadata holds times and sequence numbers, which may pass 32 bits.
        let values = if index >= change_columns.len() { Values::Counters } else { Values::Any };
        let items = column_items(spec & !DEFLATE_BIT, column, MAX_DOCUMENT_OPS, values)?
            .ok_or(SizeError::DocumentTooManyOperations { limit: MAX_DOCUMENT_OPS })?;
        if index >= change_columns.len() && spec & !DEFLATE_BIT == ACTION_COLUMN {
            ops = items;
        }
    }
    Ok(Size { bytes, ops })
}

fn column_specs(input: &mut Reader<'_>) -> Result<Vec<(u32, usize)>, SizeError> {
    let count = input.uleb()?;
    let mut columns = Vec::new();
    for _ in 0..count {
        let spec = u32::try_from(input.uleb()?).map_err(|_| malformed("a column is not described properly"))?;
        let len = usize::try_from(input.uleb()?).map_err(|_| malformed("a column is too long"))?;
        if len > input.remaining() {
            return Err(malformed("a column is longer than the data"));
        }
        columns.push((spec, len));
    }
    Ok(columns)
}

/// Which values a column may hold: any, or (for operations) counters and indexes that fit in 32
/// bits, as Automerge requires (it panics on a larger operation counter instead of refusing it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Values {
    Any,
    Counters,
}

/// How many values a column holds, its runs added up without expanding them: `Ok(None)` as soon
/// as the count passes `limit`. Raw value bytes (type 7) hold no count of their own. With
/// [`Values::Counters`], a number (or a delta column's running sum) outside 0..=u32::MAX is
/// refused.
fn column_items(spec: u32, data: &[u8], limit: u64, values: Values) -> Result<Option<u64>, SizeError> {
    let mut input = Reader::new(data);
    let mut items: u64 = 0;
    let kind = spec & 0b111;
    // A delta column's running sum, the value its next delta is added to.
    let mut sum: i128 = 0;
    let in_range = |v: i128| (0..=i128::from(u32::MAX)).contains(&v);
    let mut check = |value: i128, repeats: u64| -> Result<(), SizeError> {
        let fits = match (values, kind) {
            (Values::Any, _) => true,
            // Deltas: over a run the sum moves one way, so its first and last values bound it.
            (Values::Counters, 3) => {
                let first = sum + value;
                sum += value * i128::from(repeats);
                in_range(first) && in_range(sum)
            }
            (Values::Counters, _) => in_range(value),
        };
        if fits { Ok(()) } else { Err(SizeError::Malformed("an operation's counter does not fit in 32 bits".into())) }
    };
    while kind != 7 && !input.is_empty() {
        let (run, repeated, literals) = if kind == 4 {
            // Booleans: alternating run lengths of false and true.
            (input.uleb()?, false, 0)
        } else {
            // A positive count repeats one value, a negative one is followed by that many
            // values, zero is followed by a count of nulls.
            match input.sleb()? {
                0 => (input.uleb()?, false, 0),
                count if count > 0 => (count.unsigned_abs(), true, 0),
                count => (count.unsigned_abs(), false, count.unsigned_abs()),
            }
        };
        match items.checked_add(run) {
            Some(total) if total <= limit => items = total,
            _ => return Ok(None),
        }
        let value = |input: &mut Reader<'_>| -> Result<i128, SizeError> {
            Ok(match kind {
                3 => i128::from(input.sleb()?),
                5 => input.length_prefixed().map(|_| 0)?,
                _ => i128::from(input.uleb()?),
            })
        };
        if repeated {
            let v = value(&mut input)?;
            if kind != 5 {
                check(v, run)?;
            }
        }
        for _ in 0..literals {
            let v = value(&mut input)?;
            if kind != 5 {
                check(v, 1)?;
            }
        }
    }
    Ok(Some(items))
}

/// Inflates raw DEFLATE data, stopping one byte past `limit`: `None` when it inflates further.
fn inflate_at_most(data: &[u8], limit: u64) -> Option<Result<Vec<u8>, std::io::Error>> {
    let mut inflated = Vec::new();
    let decoder = flate2::read::DeflateDecoder::new(data);
    match decoder.take(limit.saturating_add(1)).read_to_end(&mut inflated) {
        Ok(_) if inflated.len() as u64 > limit => None,
        Ok(_) => Some(Ok(inflated)),
        Err(e) => Some(Err(e)),
    }
}

fn uleb_len(mut value: u64) -> u64 {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

/// Reads the building blocks of Automerge's binary format from a slice, never past its end.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn peek_chunk_type(&self) -> Result<u8, SizeError> {
        self.bytes.get(8).copied().ok_or_else(|| malformed("the data ends early"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SizeError> {
        if n > self.bytes.len() {
            return Err(malformed("the data ends early"));
        }
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, SizeError> {
        Ok(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Result<u64, SizeError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let part = u64::from(byte & 0x7f);
            if shift == 63 && part > 1 {
                return Err(malformed("a number is too large"));
            }
            value |= part << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed("a number is too large"))
    }

    fn sleb(&mut self) -> Result<i64, SizeError> {
        let mut value: i64 = 0;
        let mut shift = 0;
        loop {
            let byte = self.byte()?;
            if shift == 63 && byte != 0 && byte != 0x7f {
                return Err(malformed("a number is too large"));
            }
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1 << shift;
                }
                return Ok(value);
            }
            if shift > 63 {
                return Err(malformed("a number is too large"));
            }
        }
    }

    fn length_prefixed(&mut self) -> Result<&'a [u8], SizeError> {
        let len = usize::try_from(self.uleb()?).map_err(|_| malformed("a length is too large"))?;
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_automerge_writes_them() {
        assert_eq!(Reader::new(&[0xe5, 0x8e, 0x26]).uleb().unwrap(), 624_485);
        assert_eq!(Reader::new(&[0xc0, 0xbb, 0x78]).sleb().unwrap(), -123_456);
        assert_eq!(Reader::new(&[0x7f]).sleb().unwrap(), -1);
        assert!(Reader::new(&[0xff; 11]).uleb().is_err());
        assert!(Reader::new(&[0xff; 11]).sleb().is_err());
    }

    #[test]
    fn runs_are_added_up_without_expanding_them() {
        // A run of 2^40 copies of one value: three bytes claim a trillion operations.
        let mut column = vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x01];
        assert_eq!(column_items(2, &column, MAX_CHANGE_OPS, Values::Any).unwrap(), None);
        column = vec![0x03, 0x01, 0x7e, 0x05, 0x06, 0x00, 0x04];
        // 3 copies, 2 literals, 4 nulls.
        assert_eq!(column_items(2, &column, 100, Values::Any).unwrap(), Some(9));
    }
}
