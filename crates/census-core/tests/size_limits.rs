//! Bytes over the limits are refused before Automerge inflates or walks them, and a device never
//! makes a change or grows a document past them.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::io::Write;
use std::time::Instant;

use census_core::limits::{MAX_CHANGE_BYTES, MAX_DOCUMENT_BYTES, measure_change, measure_saved};
use census_core::*;

fn ctx(at: i64) -> EditContext {
    EditContext::new(UserId::from_bytes([1; 16]), Timestamp::from_unix_millis(1_795_800_000_000 + at))
}

fn created() -> (ProspectDoc, LocalChange) {
    let new = NewProspect {
        territory: TerritoryId::from_bytes([9; 16]),
        name: "Ромашка".into(),
        category: "shop".into(),
        status: Status::New,
        address: Address::default(),
        location: None,
    };
    ProspectDoc::create(ProspectId::from_bytes([1; 16]), DeviceId::from_bytes([2; 16]), &ctx(0), &new).unwrap()
}

fn uleb(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A change chunk in Automerge's compressed form whose body is `body` DEFLATE-compressed, with
/// the checksum of `like` (a bomb a hostile device would send).
fn compressed_chunk(like: &[u8], body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body).unwrap();
    let deflated = encoder.finish().unwrap();
    let mut chunk = like[..8].to_vec();
    chunk.push(2);
    uleb(deflated.len() as u64, &mut chunk);
    chunk.extend(deflated);
    chunk
}

/// The data of a plain change chunk (after its header).
fn body_of(change: &[u8]) -> &[u8] {
    let mut at = 9;
    while change[at] & 0x80 != 0 {
        at += 1;
    }
    &change[at + 1..]
}

#[test]
fn a_real_compressed_change_is_measured_as_its_plain_form() {
    let (_, first) = created();
    let plain = measure_change(&first.bytes).unwrap();
    assert_eq!(plain.bytes, first.bytes.len() as u64);
    assert!(plain.ops > 10, "the first change creates every container: {plain:?}");
    let compressed = compressed_chunk(&first.bytes, body_of(&first.bytes));
    assert_eq!(measure_change(&compressed).unwrap(), plain);
    // And Automerge reads it as the same change.
    assert_eq!(ProspectDoc::inspect_change(&compressed).unwrap().hash, first.hash);
}

#[test]
fn a_compressed_change_bomb_is_refused_without_inflating_it() {
    let (_, first) = created();
    let mut body = body_of(&first.bytes).to_vec();
    body.resize(32 << 20, 0); // 32 MiB of zeros, compressed to a few dozen kilobytes
    let bomb = compressed_chunk(&first.bytes, &body);
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    let started = Instant::now();
    let refused = ProspectDoc::inspect_change(&bomb).unwrap_err();
    assert!(matches!(refused, DocumentError::TooLarge(SizeError::ChangeTooLarge { .. })), "{refused}");
    // Inflating only up to the limit takes milliseconds; all of it would take seconds.
    eprintln!("refused in {:?}", started.elapsed());
    let mut other = created().0;
    assert!(matches!(other.apply_changes(&[&bomb]), Err(DocumentError::BadChange { .. })));
}

#[test]
fn a_run_claiming_a_trillion_operations_is_refused_before_automerge_walks_it() {
    let (_, first) = created();
    // Rebuild the first change with its action column replaced by one run of 2^40 values.
    let body = body_of(&first.bytes);
    let refused = measure_change(&plain_chunk(&first.bytes, &with_huge_action_run(body))).unwrap_err();
    assert!(refused.is_too_large(), "{refused}");
}

/// A plain change chunk around `body`, with `like`'s checksum.
fn plain_chunk(like: &[u8], body: &[u8]) -> Vec<u8> {
    let mut chunk = like[..8].to_vec();
    chunk.push(1);
    uleb(body.len() as u64, &mut chunk);
    chunk.extend_from_slice(body);
    chunk
}

/// The change body with its action column (spec 0x42) holding one run of 2^40 "set" actions.
fn with_huge_action_run(body: &[u8]) -> Vec<u8> {
    let mut r = Reader(body, 0);
    let deps = r.uleb();
    r.advance(32 * deps as usize);
    let actor = r.uleb();
    r.advance(actor as usize);
    r.uleb();
    r.uleb();
    r.uleb(); // time (a signed number, read past the same way)
    let message = r.uleb();
    r.advance(message as usize);
    let others = r.uleb();
    for _ in 0..others {
        let len = r.uleb();
        r.advance(len as usize);
    }
    let header_end = r.1;
    let count = r.uleb();
    let specs: Vec<(u64, u64)> = (0..count).map(|_| (r.uleb(), r.uleb())).collect();
    let mut data = r.1;
    let mut out = body[..header_end].to_vec();
    let huge_run = [0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x01];
    uleb(count, &mut out);
    let mut columns = Vec::new();
    for (spec, len) in specs {
        let column = &body[data..data + len as usize];
        data += len as usize;
        let column: &[u8] = if spec == 0x42 { &huge_run } else { column };
        uleb(spec, &mut out);
        uleb(column.len() as u64, &mut out);
        columns.extend_from_slice(column);
    }
    out.extend(columns);
    out
}

struct Reader<'a>(&'a [u8], usize);

impl Reader<'_> {
    fn uleb(&mut self) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let byte = self.0[self.1];
            self.1 += 1;
            value |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return value;
            }
        }
    }

    fn advance(&mut self, n: usize) {
        self.1 += n;
    }
}

#[test]
fn an_edit_too_large_to_sync_is_refused_and_leaves_the_prospect_as_it_was() {
    let (mut doc, _) = created();
    let heads = doc.heads();
    let huge = "я".repeat(MAX_CHANGE_BYTES as usize);
    let refused = doc.edit(&ctx(1), |p| p.set_name(&huge)).unwrap_err();
    assert!(matches!(refused, DocumentError::TooLarge(SizeError::ChangeTooLarge { .. })), "{refused}");
    assert!(refused.to_string().contains("the edit was not made"), "{refused}");
    assert_eq!(doc.heads(), heads);
    assert_eq!(doc.read().name, "Ромашка");
    // The next edit is made as usual, and another device takes it.
    let rename = doc.edit(&ctx(2), |p| p.set_name("Ромашка-2")).unwrap().unwrap();
    assert_eq!(ProspectDoc::inspect_change(&rename.bytes).unwrap().seq, 2);
    assert_eq!(doc.read().name, "Ромашка-2");
}

#[test]
fn a_prospect_stops_growing_at_its_limit() {
    let (mut doc, _) = created();
    // Names of half a megabyte each: the changes fit, their sum does not.
    let mut made = 0;
    let refused = loop {
        let name = format!("{made}{}", "x".repeat(512 << 10));
        match doc.edit(&ctx(made + 1), |p| p.set_name(&name)) {
            Ok(_) => made += 1,
            Err(e) => break e,
        }
        assert!(made < 40, "the document passed its limit");
    };
    assert!(matches!(refused, DocumentError::TooLarge(SizeError::DocumentTooLarge { .. })), "{refused}");
    assert!((made as u64) * (512 << 10) <= MAX_DOCUMENT_BYTES);
    // Loaded again (its size unknown until its next edit), it is refused the same way.
    let mut loaded = ProspectDoc::load(doc.id(), &doc.save(), DeviceId::from_bytes([2; 16])).unwrap();
    assert!(matches!(loaded.edit(&ctx(99), |p| p.set_name(&"y".repeat(512 << 10))), Err(DocumentError::TooLarge(_))));
    assert!(measure_saved(&doc.save()).is_ok());
}

#[test]
fn damaged_bytes_are_told_apart_from_large_ones() {
    let (_, first) = created();
    for cut in [0, 3, 8, 9, 20, first.bytes.len() - 1] {
        let refused = measure_change(&first.bytes[..cut]).unwrap_err();
        assert!(!refused.is_too_large(), "cut at {cut}: {refused}");
    }
    assert!(measure_saved(b"definitely not automerge").is_err());
}

#[test]
fn a_change_whose_counter_passes_32_bits_is_refused_rather_than_crashing_automerge() {
    // Found by fuzzing push validation: a compressed change whose operation counter does not fit
    // in 32 bits, on which Automerge 0.12 panics while reading it.
    let found = include_bytes!("data/counter_overflow.change");
    let refused = measure_change(found).unwrap_err();
    assert!(refused.to_string().contains("32 bits"), "{refused}");
    assert!(matches!(ProspectDoc::inspect_change(found), Err(DocumentError::Unreadable(_))));
    assert!(
        ProspectDoc::from_changes(ProspectId::from_bytes([1; 16]), &[found], DeviceId::from_bytes([2; 16])).is_err()
    );
}
