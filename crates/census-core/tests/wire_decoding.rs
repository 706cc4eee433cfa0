//! The sync wire format: every body round-trips, and random, truncated, damaged, forged or
//! mislabelled input is refused with the right error, never a panic or a huge allocation.

use std::time::{Duration, Instant};

use census_core::wire::{
    BootstrapPage, DecodeError, DocKind, PullPage, PulledChange, PushBatch, PushItem, PushOutcome, PushResult,
    SnapshotItem,
};
use census_core::{
    Projection, ProspectId, ProspectRow, ReviewState, Status, TerritoryId, Timestamp, UserId, VisitEntry,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const PUSH_BATCH: u8 = 1;
const PUSH_RESULT: u8 = 2;
const PULL_PAGE: u8 = 3;
const BOOTSTRAP_PAGE: u8 = 4;

/// The decoders, by body kind byte, with the results reduced to "decoded or why not".
type Decoder = fn(&[u8]) -> Result<(), DecodeError>;
const DECODERS: [(u8, &str, Decoder); 4] = [
    (PUSH_BATCH, "push batch", |b| PushBatch::decode(b).map(drop)),
    (PUSH_RESULT, "push result", |b| PushResult::decode(b).map(drop)),
    (PULL_PAGE, "pull page", |b| PullPage::decode(b).map(drop)),
    (BOOTSTRAP_PAGE, "bootstrap page", |b| BootstrapPage::decode(b).map(drop)),
];

fn decode_as(kind: u8, bytes: &[u8]) -> Result<(), DecodeError> {
    let (_, _, decode) = DECODERS.iter().find(|(k, _, _)| *k == kind).expect("a known body kind");
    decode(bytes)
}

fn pid(n: u8) -> ProspectId {
    ProspectId::from_bytes([n; 16])
}

fn tid(n: u8) -> TerritoryId {
    TerritoryId::from_bytes([n; 16])
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A frame built by hand: magic, version 1, the kind byte, the body and a correct CRC-32.
fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut bytes = b"CNSW".to_vec();
    bytes.push(1);
    bytes.push(kind);
    bytes.extend_from_slice(body);
    bytes.extend_from_slice(&crc32fast::hash(&bytes).to_le_bytes());
    bytes
}

/// Recomputes the CRC-32 at the end of a frame after its content was changed.
fn fix_crc(frame: &mut [u8]) {
    let n = frame.len() - 4;
    let crc = crc32fast::hash(&frame[..n]);
    frame[n..].copy_from_slice(&crc.to_le_bytes());
}

/// The body of a frame: between the 6-byte header and the 4-byte checksum.
fn body(frame: &[u8]) -> &[u8] {
    &frame[6..frame.len() - 4]
}

fn sample_batch() -> PushBatch {
    PushBatch {
        items: vec![
            PushItem { doc: pid(1), kind: DocKind::Prospect, territory: tid(2), change: vec![] },
            // 256 bytes: a two-byte length.
            PushItem { doc: pid(3), kind: DocKind::Prospect, territory: tid(4), change: (0..=255u8).collect() },
            PushItem {
                doc: pid(0xff),
                kind: DocKind::Prospect,
                territory: tid(0),
                change: b"\x85\x6f\x4a\x83 an automerge change".to_vec(),
            },
        ],
    }
}

fn sample_result() -> PushResult {
    PushResult {
        outcomes: vec![
            PushOutcome::Stored { seq: 0 },
            PushOutcome::Stored { seq: 300 },
            PushOutcome::AlreadyStored { seq: u64::MAX },
            PushOutcome::Refused {
                code: "territory_forbidden".into(),
                message: "Нет прав на запись в эту территорию / no write access to this territory".into(),
            },
            PushOutcome::Refused { code: String::new(), message: String::new() },
            PushOutcome::AlreadyStored { seq: 127 },
        ],
    }
}

fn sample_page() -> PullPage {
    PullPage {
        scope: tid(9),
        changes: vec![
            PulledChange { seq: 1, doc: pid(1), kind: DocKind::Prospect, change: vec![0] },
            PulledChange { seq: 128, doc: pid(2), kind: DocKind::Prospect, change: vec![] },
            PulledChange { seq: u64::MAX, doc: pid(3), kind: DocKind::Prospect, change: vec![0xab; 200] },
        ],
        next_cursor: 1 << 40,
        up_to_date: true,
        departed: vec![pid(4), pid(5)],
        remaining: 300,
    }
}

fn empty_page() -> PullPage {
    PullPage { scope: tid(7), changes: vec![], next_cursor: 0, up_to_date: false, departed: vec![], remaining: 0 }
}

fn sample_projection() -> Projection {
    Projection {
        row: ProspectRow {
            id: pid(1),
            territory: tid(9).to_string(),
            name: "Ромашка".into(),
            category: "kiosk".into(),
            status: Status::Interested,
            review_state: Some(ReviewState::Flagged),
            has_conflicts: true,
            merged_into: None,
            deleted: false,
            address: "Тверь, Советская 1".into(),
            phones: "+7 900".into(),
            lat: Some(56.85),
            lon: Some(-35.9),
            visits: 3,
            last_visit_at: Some(Timestamp::from_unix_millis(-5)),
            created_at: Timestamp::from_unix_millis(1_795_800_000_000),
            updated_at: Timestamp::from_unix_millis(i64::MAX),
            awaiting_review: true,
        },
        contacts: "Ольга manager +7 900 o@example.com".into(),
        notes: "склад во дворе".into(),
        visits: vec![
            VisitEntry { at: Timestamp::from_unix_millis(-5), agent: UserId::from_bytes([3; 16]) },
            VisitEntry { at: Timestamp::from_unix_millis(1_795_800_000_000), agent: UserId::from_bytes([4; 16]) },
        ],
        distinct_from: vec![pid(2), pid(3)],
    }
}

fn sample_bootstrap() -> BootstrapPage {
    BootstrapPage {
        scope: tid(9),
        watermark: 1 << 33,
        docs: vec![
            SnapshotItem {
                doc: pid(1),
                kind: DocKind::Prospect,
                snapshot: vec![0x85; 300],
                projection: sample_projection().encode(),
            },
            SnapshotItem { doc: pid(2), kind: DocKind::Prospect, snapshot: vec![1, 2, 3], projection: vec![] },
        ],
        up_to_date: false,
        remaining: 12_345,
    }
}

/// A non-trivial encoded body of each kind, with its kind byte.
fn sample_frames() -> [(u8, Vec<u8>); 4] {
    [
        (PUSH_BATCH, sample_batch().encode()),
        (PUSH_RESULT, sample_result().encode()),
        (PULL_PAGE, sample_page().encode()),
        (BOOTSTRAP_PAGE, sample_bootstrap().encode()),
    ]
}

/// Decodes as its own kind and checks the value is the one encoded.
fn decodes_to_sample(kind: u8, bytes: &[u8]) -> Result<bool, DecodeError> {
    Ok(match kind {
        PUSH_BATCH => PushBatch::decode(bytes)? == sample_batch(),
        PUSH_RESULT => PushResult::decode(bytes)? == sample_result(),
        PULL_PAGE => PullPage::decode(bytes)? == sample_page(),
        _ => BootstrapPage::decode(bytes)? == sample_bootstrap(),
    })
}

// ---------------------------------------------------------------------------------------------
// Round trips and the frame layout
// ---------------------------------------------------------------------------------------------

#[test]
fn a_projection_of_another_version_is_refused_by_name() {
    let mut bytes = sample_projection().encode();
    assert_eq!(Projection::decode(&bytes), Ok(sample_projection()));
    // Version 3 rows hid a disputed deletion: a device of this version derives them itself.
    bytes[0] = 3;
    assert_eq!(Projection::decode(&bytes), Err(DecodeError::OtherProjectionVersion(3)));
    bytes[0] = 5;
    assert_eq!(Projection::decode(&bytes), Err(DecodeError::OtherProjectionVersion(5)));
    assert_eq!(Projection::decode(&[]), Err(DecodeError::Truncated));
}

#[test]
fn empty_bodies_round_trip() {
    let batch = PushBatch::default();
    assert_eq!(PushBatch::decode(&batch.encode()), Ok(batch));
    let result = PushResult::default();
    assert_eq!(PushResult::decode(&result.encode()), Ok(result));
    let page = empty_page();
    assert_eq!(PullPage::decode(&page.encode()), Ok(page));
    let page = PullPage { up_to_date: true, next_cursor: u64::MAX, ..empty_page() };
    assert_eq!(PullPage::decode(&page.encode()), Ok(page));
}

#[test]
fn sample_bodies_round_trip() {
    let batch = sample_batch();
    assert_eq!(PushBatch::decode(&batch.encode()), Ok(batch));
    let result = sample_result();
    assert_eq!(PushResult::decode(&result.encode()), Ok(result));
    let page = sample_page();
    assert_eq!(PullPage::decode(&page.encode()), Ok(page));
}

#[test]
fn many_smallest_possible_items_round_trip() {
    // The decoder refuses counts that cannot fit; items of exactly the smallest size must still
    // be accepted.
    let batch = PushBatch {
        items: (0..1000)
            .map(|i| PushItem { doc: pid(i as u8), kind: DocKind::Prospect, territory: tid(1), change: vec![] })
            .collect(),
    };
    assert_eq!(batch.encode().len(), 10 + 2 + 1000 * 34);
    assert_eq!(PushBatch::decode(&batch.encode()), Ok(batch));

    let result = PushResult { outcomes: (0..1000).map(|i| PushOutcome::Stored { seq: i % 128 }).collect() };
    assert_eq!(result.encode().len(), 10 + 2 + 1000 * 2);
    assert_eq!(PushResult::decode(&result.encode()), Ok(result));

    let page = PullPage {
        changes: (0..1000)
            .map(|i| PulledChange { seq: i % 128, doc: pid(2), kind: DocKind::Prospect, change: vec![] })
            .collect(),
        ..empty_page()
    };
    // frame + scope + cursor + up to date + count + changes + no departures + remaining
    assert_eq!(page.encode().len(), 10 + 16 + 1 + 1 + 2 + 1000 * 19 + 1 + 1);
    assert_eq!(PullPage::decode(&page.encode()), Ok(page));
}

#[test]
fn frames_have_the_documented_layout() {
    for (kind, bytes) in sample_frames() {
        assert_eq!(&bytes[..4], b"CNSW");
        assert_eq!(bytes[4], 1, "format version");
        assert_eq!(bytes[5], kind);
        let n = bytes.len() - 4;
        assert_eq!(bytes[n..], crc32fast::hash(&bytes[..n]).to_le_bytes());
    }
    assert_eq!(census_core::wire::FORMAT_VERSION, 1);
}

#[test]
fn encodings_match_hand_built_frames() {
    assert_eq!(PushBatch::default().encode(), frame(PUSH_BATCH, &[0]));
    assert_eq!(PushResult::default().encode(), frame(PUSH_RESULT, &[0]));

    let mut page_body = vec![7; 16];
    page_body.extend_from_slice(&[0, 0, 0, 0, 0]); // cursor, up to date, no changes, no departures, none remaining
    assert_eq!(empty_page().encode(), frame(PULL_PAGE, &page_body));

    let result = PushResult {
        outcomes: vec![
            PushOutcome::Stored { seq: 300 },
            PushOutcome::AlreadyStored { seq: 5 },
            PushOutcome::Refused { code: "x".into(), message: "é".into() },
        ],
    };
    assert_eq!(result.encode(), frame(PUSH_RESULT, &[3, 0, 0xac, 0x02, 1, 5, 2, 1, b'x', 2, 0xc3, 0xa9]));

    let batch = PushBatch {
        items: vec![PushItem { doc: pid(1), kind: DocKind::Prospect, territory: tid(2), change: vec![9, 8] }],
    };
    let mut batch_body = vec![1];
    batch_body.extend_from_slice(&[1; 16]);
    batch_body.push(1);
    batch_body.extend_from_slice(&[2; 16]);
    batch_body.extend_from_slice(&[2, 9, 8]);
    assert_eq!(batch.encode(), frame(PUSH_BATCH, &batch_body));
}

// ---------------------------------------------------------------------------------------------
// Truncation and damage
// ---------------------------------------------------------------------------------------------

#[test]
fn every_proper_prefix_of_a_frame_is_refused() {
    for (kind, bytes) in sample_frames() {
        assert!(bytes.len() > 100, "{} bytes", bytes.len());
        for len in 0..bytes.len() {
            let err = decode_as(kind, &bytes[..len]).unwrap_err();
            if len < 10 {
                assert_eq!(err, DecodeError::Truncated, "kind {kind}, {len} bytes");
            } else {
                assert_eq!(err, DecodeError::ChecksumMismatch, "kind {kind}, {len} bytes");
            }
        }
        assert!(decode_as(kind, &bytes).is_ok());
    }
}

#[test]
fn every_proper_prefix_of_a_body_with_a_valid_checksum_is_cut_short() {
    // A sender that cut the body before computing the checksum: the body parser must notice.
    for (kind, bytes) in sample_frames() {
        let full = body(&bytes);
        for len in 0..full.len() {
            assert_eq!(decode_as(kind, &frame(kind, &full[..len])), Err(DecodeError::Truncated), "kind {kind}, {len}");
        }
        assert_eq!(decodes_to_sample(kind, &frame(kind, full)), Ok(true));
    }
}

#[test]
fn every_single_bit_flip_is_refused() {
    for (kind, bytes) in sample_frames() {
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[i] ^= 1 << bit;
                let err = decode_as(kind, &damaged).unwrap_err();
                let expected = match i {
                    0..4 => DecodeError::NotCensus,
                    _ => DecodeError::ChecksumMismatch,
                };
                assert_eq!(err, expected, "kind {kind}, byte {i}, bit {bit}");
            }
        }
    }
}

#[test]
fn a_bit_flip_behind_a_valid_checksum_never_panics_nor_decodes_to_the_original() {
    // Damage before the checksum was computed: whatever comes out must not be mistaken for the
    // original value.
    for (kind, bytes) in sample_frames() {
        for i in 6..bytes.len() - 4 {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[i] ^= 1 << bit;
                fix_crc(&mut damaged);
                assert_ne!(decodes_to_sample(kind, &damaged), Ok(true), "kind {kind}, byte {i}, bit {bit}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Kinds, versions, trailing bytes
// ---------------------------------------------------------------------------------------------

#[test]
fn a_body_of_another_kind_is_the_wrong_kind() {
    for (found_kind, found, _) in DECODERS {
        let (_, bytes) =
            sample_frames().into_iter().find(|(kind, _)| *kind == found_kind).expect("a sample of every kind");
        for (expected_kind, expected, decode) in DECODERS {
            if expected_kind != found_kind {
                assert_eq!(decode(&bytes), Err(DecodeError::WrongKind { expected, found }));
            }
        }
    }
    // The specific case: a push result given to the push batch decoder.
    assert_eq!(
        PushBatch::decode(&PushResult::default().encode()),
        Err(DecodeError::WrongKind { expected: "push batch", found: "push result" })
    );
}

#[test]
fn an_unknown_body_kind_is_refused() {
    for kind in [0, 5, 9, 0xff] {
        for (_, _, decode) in DECODERS {
            assert_eq!(decode(&frame(kind, &[0])), Err(DecodeError::UnknownKind(kind)));
        }
    }
}

#[test]
fn another_format_version_is_unsupported() {
    for (kind, bytes) in sample_frames() {
        for version in [0, 2, 0x7f, 0xff] {
            let mut other = bytes.clone();
            other[4] = version;
            fix_crc(&mut other);
            assert_eq!(decode_as(kind, &other), Err(DecodeError::UnsupportedVersion(version)));
        }
    }
}

#[test]
fn bytes_after_the_body_are_trailing() {
    let frames = [
        (PUSH_BATCH, PushBatch::default().encode()),
        (PUSH_RESULT, PushResult::default().encode()),
        (PULL_PAGE, empty_page().encode()),
    ];
    for (kind, bytes) in sample_frames().into_iter().chain(frames) {
        for extra in [vec![0u8], vec![0xaa, 0xbb, 0xcc], vec![0; 40]] {
            let n = bytes.len() - 4;
            let mut longer = bytes[..n].to_vec();
            longer.extend_from_slice(&extra);
            longer.extend_from_slice(&[0; 4]);
            fix_crc(&mut longer);
            assert_eq!(decode_as(kind, &longer), Err(DecodeError::TrailingBytes(extra.len())), "kind {kind}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Forged counts and lengths, unknown codes, malformed numbers and text
// ---------------------------------------------------------------------------------------------

/// Decodes and checks the answer came back fast. Were the decoder to reserve room for a forged
/// count (say 2^40 items of dozens of bytes), the allocation would fail and abort the test
/// process, so getting an error back at all shows no huge allocation was attempted.
fn decode_quickly(kind: u8, bytes: &[u8]) -> Result<(), DecodeError> {
    let start = Instant::now();
    let result = decode_as(kind, bytes);
    assert!(start.elapsed() < Duration::from_secs(1), "decoding took {:?}", start.elapsed());
    result
}

#[test]
fn a_forged_huge_item_count_is_refused_quickly() {
    for count in [u64::MAX, 1 << 62, 1 << 40, u64::from(u32::MAX), 1_000_000, 3] {
        let mut counted = Vec::new();
        varint(&mut counted, count);
        // Batch and result bodies start with the count; a page body has scope, cursor and flag first.
        let mut page_body = vec![5; 16];
        page_body.extend_from_slice(&[0, 1]);
        page_body.extend_from_slice(&counted);
        // A few bytes of room, far too little for that many items.
        for padding in [0, 1, 5] {
            let pad = vec![0u8; padding];
            let batch = frame(PUSH_BATCH, &[&counted[..], &pad[..]].concat());
            let result = frame(PUSH_RESULT, &[&counted[..], &pad[..]].concat());
            let page = frame(PULL_PAGE, &[&page_body[..], &pad[..]].concat());
            assert_eq!(decode_quickly(PUSH_BATCH, &batch), Err(DecodeError::Truncated), "count {count}");
            assert_eq!(decode_quickly(PUSH_RESULT, &result), Err(DecodeError::Truncated), "count {count}");
            assert_eq!(decode_quickly(PULL_PAGE, &page), Err(DecodeError::Truncated), "count {count}");
        }
    }
}

#[test]
fn a_count_one_above_what_fits_is_refused() {
    // 10 smallest items' worth of bytes, but a count of 11.
    let mut batch_body = vec![11];
    for _ in 0..10 {
        batch_body.extend_from_slice(&[1; 16]);
        batch_body.push(1);
        batch_body.extend_from_slice(&[2; 16]);
        batch_body.push(0);
    }
    assert_eq!(decode_quickly(PUSH_BATCH, &frame(PUSH_BATCH, &batch_body)), Err(DecodeError::Truncated));
    batch_body[0] = 10;
    let decoded = PushBatch::decode(&frame(PUSH_BATCH, &batch_body)).unwrap();
    assert_eq!(decoded.items.len(), 10);
}

#[test]
fn a_forged_huge_byte_length_is_refused_quickly() {
    for len in [u64::MAX, 1 << 40, 1 << 20, 1] {
        let mut long = Vec::new();
        varint(&mut long, len);

        let mut batch_body = vec![1];
        batch_body.extend_from_slice(&[1; 16]);
        batch_body.push(1);
        batch_body.extend_from_slice(&[2; 16]);
        batch_body.extend_from_slice(&long);
        assert_eq!(decode_quickly(PUSH_BATCH, &frame(PUSH_BATCH, &batch_body)), Err(DecodeError::Truncated));

        let result_body = [&[1u8, 2][..], &long[..]].concat();
        assert_eq!(decode_quickly(PUSH_RESULT, &frame(PUSH_RESULT, &result_body)), Err(DecodeError::Truncated));

        let mut page_body = vec![5; 16];
        page_body.extend_from_slice(&[0, 0, 1, 1]);
        page_body.extend_from_slice(&[3; 16]);
        page_body.push(1);
        page_body.extend_from_slice(&long);
        assert_eq!(decode_quickly(PULL_PAGE, &frame(PULL_PAGE, &page_body)), Err(DecodeError::Truncated));
    }
}

#[test]
fn an_unknown_document_kind_is_refused() {
    for code in [0, 2, 127, 300, u64::MAX] {
        let mut kind = Vec::new();
        varint(&mut kind, code);

        let mut batch_body = vec![1];
        batch_body.extend_from_slice(&[1; 16]);
        batch_body.extend_from_slice(&kind);
        batch_body.extend_from_slice(&[2; 16]);
        batch_body.push(0);
        assert_eq!(PushBatch::decode(&frame(PUSH_BATCH, &batch_body)), Err(DecodeError::UnknownDocKind(code)));

        let mut page_body = vec![5; 16];
        page_body.extend_from_slice(&[0, 0, 1, 1]);
        page_body.extend_from_slice(&[3; 16]);
        page_body.extend_from_slice(&kind);
        page_body.push(0);
        assert_eq!(PullPage::decode(&frame(PULL_PAGE, &page_body)), Err(DecodeError::UnknownDocKind(code)));
    }
}

#[test]
fn an_unknown_push_outcome_is_refused() {
    for code in [3, 4, 127, 200, u64::MAX] {
        let mut body = vec![2, 0, 7];
        varint(&mut body, code);
        body.extend_from_slice(&[0; 12]);
        assert_eq!(PushResult::decode(&frame(PUSH_RESULT, &body)), Err(DecodeError::UnknownOutcome(code)));
    }
}

#[test]
fn text_that_is_not_utf8_is_refused() {
    let cases: [(&[u8], &[u8]); 3] = [(&[0xff], b"ok"), (b"ok", &[0xc3]), (b"ok", &[0xed, 0xa0, 0x80])];
    for (code, message) in cases {
        let mut body = vec![1, 2];
        varint(&mut body, code.len() as u64);
        body.extend_from_slice(code);
        varint(&mut body, message.len() as u64);
        body.extend_from_slice(message);
        assert_eq!(PushResult::decode(&frame(PUSH_RESULT, &body)), Err(DecodeError::BadText));
    }
}

#[test]
fn malformed_numbers_are_refused() {
    // The up-to-date flag is 0 or 1.
    let mut page_body = vec![5; 16];
    page_body.extend_from_slice(&[0, 2, 0]);
    assert_eq!(PullPage::decode(&frame(PULL_PAGE, &page_body)), Err(DecodeError::BadNumber));

    // Eleven bytes of varint, and ten bytes whose last one overflows 64 bits.
    let too_long = [&[0x80u8; 10][..], &[0][..]].concat();
    let overflowing = [&[0xffu8; 9][..], &[0x02][..]].concat();
    for number in [too_long, overflowing] {
        assert_eq!(PushBatch::decode(&frame(PUSH_BATCH, &number)), Err(DecodeError::BadNumber));
        let seq = [&[1u8, 0][..], &number[..]].concat();
        assert_eq!(PushResult::decode(&frame(PUSH_RESULT, &seq)), Err(DecodeError::BadNumber));
    }
    // The largest ten-byte varint is u64::MAX, and fine.
    let max = [&[1u8, 1][..], &[0xff; 9][..], &[0x01][..]].concat();
    assert_eq!(
        PushResult::decode(&frame(PUSH_RESULT, &max)),
        Ok(PushResult { outcomes: vec![PushOutcome::AlreadyStored { seq: u64::MAX }] })
    );
}

#[test]
fn things_that_are_not_census_bodies() {
    for (_, _, decode) in DECODERS {
        assert_eq!(decode(b""), Err(DecodeError::Truncated));
        assert_eq!(decode(b"CN"), Err(DecodeError::Truncated));
        assert_eq!(decode(b"CNSW"), Err(DecodeError::Truncated));
        assert_eq!(decode(b"CNSW\x01\x01\x00"), Err(DecodeError::Truncated));
        assert_eq!(decode(b"X"), Err(DecodeError::NotCensus));
        assert_eq!(decode(b"cnsw\x01\x01\x00\x00\x00\x00\x00"), Err(DecodeError::NotCensus));
        assert_eq!(decode(b"HTTP/1.1 200 OK\r\n\r\n"), Err(DecodeError::NotCensus));
        assert_eq!(decode(b"{\"items\": []}"), Err(DecodeError::NotCensus));
        assert_eq!(decode(b"CNSW\x01\x01\x00\x00\x00\x00\x00"), Err(DecodeError::ChecksumMismatch));
    }
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

#[test]
fn error_messages_are_plain_sentences() {
    let errors = [
        DecodeError::NotCensus,
        DecodeError::UnsupportedVersion(2),
        DecodeError::WrongKind { expected: "push batch", found: "pull page" },
        DecodeError::UnknownKind(9),
        DecodeError::ChecksumMismatch,
        DecodeError::Truncated,
        DecodeError::BadNumber,
        DecodeError::BadText,
        DecodeError::UnknownDocKind(7),
        DecodeError::UnknownOutcome(5),
        DecodeError::TrailingBytes(3),
    ];
    for e in &errors {
        let message = e.to_string();
        let debug = format!("{e:?}");
        let variant = debug.split(['(', ' ', '{']).next().unwrap();
        assert!(message.split_whitespace().count() >= 4, "too short: {message:?}");
        assert!(!message.contains(variant), "the message {message:?} shows the variant name {variant}");
        assert!(!message.contains(['{', '}', '\n']), "not a plain sentence: {message:?}");
        assert!(message.starts_with(|c: char| c.is_alphabetic()), "{message:?}");
    }
    assert_eq!(
        DecodeError::WrongKind { expected: "push batch", found: "push result" }.to_string(),
        "expected a push batch body but got a push result"
    );
    assert_eq!(DecodeError::TrailingBytes(3).to_string(), "the sync body has 3 unexpected bytes at its end");
    let version = DecodeError::UnsupportedVersion(2).to_string();
    assert!(version.contains("version 2") && version.contains("version 1"), "{version}");
    assert!(DecodeError::UnknownDocKind(7).to_string().contains('7'));
    assert!(DecodeError::UnknownOutcome(5).to_string().contains('5'));
    assert!(DecodeError::ChecksumMismatch.to_string().contains("damaged"));
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

fn id_bytes() -> impl Strategy<Value = [u8; 16]> {
    prop_oneof![any::<[u8; 16]>(), any::<u8>().prop_map(|b| [b; 16])]
}

fn seq() -> impl Strategy<Value = u64> {
    prop_oneof![0..200u64, any::<u64>(), Just(u64::MAX)]
}

fn change_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..300)
}

fn push_item() -> impl Strategy<Value = PushItem> {
    (id_bytes(), id_bytes(), change_bytes()).prop_map(|(doc, territory, change)| PushItem {
        doc: ProspectId::from_bytes(doc),
        kind: DocKind::Prospect,
        territory: TerritoryId::from_bytes(territory),
        change,
    })
}

fn push_outcome() -> impl Strategy<Value = PushOutcome> {
    prop_oneof![
        seq().prop_map(|seq| PushOutcome::Stored { seq }),
        seq().prop_map(|seq| PushOutcome::AlreadyStored { seq }),
        (any::<String>(), ".{0,200}").prop_map(|(code, message)| PushOutcome::Refused { code, message }),
    ]
}

fn pulled_change() -> impl Strategy<Value = PulledChange> {
    (seq(), id_bytes(), change_bytes()).prop_map(|(seq, doc, change)| PulledChange {
        seq,
        doc: ProspectId::from_bytes(doc),
        kind: DocKind::Prospect,
        change,
    })
}

fn pull_page() -> impl Strategy<Value = PullPage> {
    (
        id_bytes(),
        prop::collection::vec(pulled_change(), 0..8),
        seq(),
        any::<bool>(),
        prop::collection::vec(id_bytes(), 0..4),
        seq(),
    )
        .prop_map(|(scope, changes, next_cursor, up_to_date, departed, remaining)| PullPage {
            scope: TerritoryId::from_bytes(scope),
            changes,
            next_cursor,
            up_to_date,
            departed: departed.into_iter().map(ProspectId::from_bytes).collect(),
            remaining,
        })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,40}", Just(String::new()), Just("Ромашка".to_owned())]
}

fn projection() -> impl Strategy<Value = Projection> {
    let status = prop_oneof![Just(Status::New), Just(Status::Visited), Just(Status::Closed)];
    let review = prop_oneof![Just(None), Just(Some(ReviewState::Approved)), Just(Some(ReviewState::Flagged))];
    let position = prop::option::of((-90.0..90.0f64, -180.0..180.0f64));
    (
        (id_bytes(), text(), text(), text(), status, review, any::<bool>(), prop::option::of(text())),
        (
            any::<bool>(),
            text(),
            text(),
            position,
            any::<u32>(),
            prop::option::of(any::<i64>()),
            any::<i64>(),
            any::<i64>(),
        ),
        (
            text(),
            text(),
            prop::collection::vec((any::<i64>(), id_bytes()), 0..4),
            prop::collection::vec(id_bytes(), 0..3),
        ),
    )
        .prop_map(
            |(
                (id, territory, name, category, status, review_state, has_conflicts, merged_into),
                (deleted, address, phones, position, visits, last_visit, created, updated),
                (contacts, notes, visits_log, distinct_from),
            )| Projection {
                row: ProspectRow {
                    id: ProspectId::from_bytes(id),
                    territory,
                    name,
                    category,
                    status,
                    review_state,
                    has_conflicts,
                    merged_into,
                    deleted,
                    address,
                    phones,
                    lat: position.map(|p| p.0),
                    lon: position.map(|p| p.1),
                    visits,
                    last_visit_at: last_visit.map(Timestamp::from_unix_millis),
                    created_at: Timestamp::from_unix_millis(created),
                    updated_at: Timestamp::from_unix_millis(updated),
                    awaiting_review: deleted,
                },
                contacts,
                notes,
                visits: visits_log
                    .into_iter()
                    .map(|(at, agent)| VisitEntry {
                        at: Timestamp::from_unix_millis(at),
                        agent: UserId::from_bytes(agent),
                    })
                    .collect(),
                distinct_from: distinct_from.into_iter().map(ProspectId::from_bytes).collect(),
            },
        )
}

/// Edits to a body: (what, where, byte) with what = 0 set, 1 insert, 2 remove.
fn edits() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    prop::collection::vec((0..3u8, any::<usize>(), any::<u8>()), 1..6)
}

fn apply(edits: &[(u8, usize, u8)], mut body: Vec<u8>) -> Vec<u8> {
    for &(what, at, byte) in edits {
        match what {
            0 if !body.is_empty() => {
                let i = at % body.len();
                body[i] = byte;
            }
            1 => body.insert(at % (body.len() + 1), byte),
            2 if !body.is_empty() => {
                body.remove(at % body.len());
            }
            _ => {}
        }
    }
    body
}

proptest! {
    #[test]
    fn push_batches_round_trip(items in prop::collection::vec(push_item(), 0..8)) {
        let batch = PushBatch { items };
        prop_assert_eq!(PushBatch::decode(&batch.encode()), Ok(batch));
    }

    #[test]
    fn push_results_round_trip(outcomes in prop::collection::vec(push_outcome(), 0..12)) {
        let result = PushResult { outcomes };
        prop_assert_eq!(PushResult::decode(&result.encode()), Ok(result));
    }

    #[test]
    fn pull_pages_round_trip(page in pull_page()) {
        prop_assert_eq!(PullPage::decode(&page.encode()), Ok(page));
    }

    #[test]
    fn projections_round_trip(projection in projection()) {
        prop_assert_eq!(Projection::decode(&projection.encode()), Ok(projection));
    }

    #[test]
    fn damaged_projections_never_panic(projection in projection(), edits in edits()) {
        let damaged = apply(&edits, projection.encode());
        if let Ok(p) = Projection::decode(&damaged) {
            prop_assert_eq!(Projection::decode(&p.encode()), Ok(p));
        }
    }

    #[test]
    fn random_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        prop_assert!(PushBatch::decode(&bytes).is_err());
        prop_assert!(PushResult::decode(&bytes).is_err());
        prop_assert!(PullPage::decode(&bytes).is_err());
        prop_assert!(BootstrapPage::decode(&bytes).is_err());
    }

    #[test]
    fn random_bytes_after_a_valid_header_are_refused(
        kind in 0u8..5,
        rest in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let mut bytes = b"CNSW".to_vec();
        bytes.push(1);
        bytes.push(kind);
        bytes.extend_from_slice(&rest);
        for (_, _, decode) in DECODERS {
            let err = decode(&bytes).unwrap_err();
            prop_assert!(matches!(err, DecodeError::Truncated | DecodeError::ChecksumMismatch), "{:?}", err);
        }
    }

    #[test]
    fn random_bodies_with_a_valid_checksum_never_panic(
        kind in 1u8..=4,
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2000),
            // Mostly small bytes, so counts, kinds, codes and lengths are often plausible.
            prop::collection::vec(0u8..4, 0..200),
        ],
    ) {
        let bytes = frame(kind, &body);
        for (decoder_kind, _, decode) in DECODERS {
            let result = decode(&bytes);
            if decoder_kind != kind {
                prop_assert!(matches!(result, Err(DecodeError::WrongKind { .. })), "{:?}", result);
            }
        }
        // Whatever decodes must survive another round trip.
        match kind {
            PUSH_BATCH => if let Ok(v) = PushBatch::decode(&bytes) {
                prop_assert_eq!(PushBatch::decode(&v.encode()), Ok(v));
            },
            PUSH_RESULT => if let Ok(v) = PushResult::decode(&bytes) {
                prop_assert_eq!(PushResult::decode(&v.encode()), Ok(v));
            },
            PULL_PAGE => if let Ok(v) = PullPage::decode(&bytes) {
                prop_assert_eq!(PullPage::decode(&v.encode()), Ok(v));
            },
            _ => if let Ok(v) = BootstrapPage::decode(&bytes) {
                prop_assert_eq!(BootstrapPage::decode(&v.encode()), Ok(v));
            },
        }
    }

    #[test]
    fn edited_bodies_with_a_valid_checksum_never_panic(which in 0usize..3, edits in edits()) {
        let (kind, bytes) = sample_frames()[which].clone();
        let damaged = frame(kind, &apply(&edits, body(&bytes).to_vec()));
        match kind {
            PUSH_BATCH => if let Ok(v) = PushBatch::decode(&damaged) {
                prop_assert_eq!(PushBatch::decode(&v.encode()), Ok(v));
            },
            PUSH_RESULT => if let Ok(v) = PushResult::decode(&damaged) {
                prop_assert_eq!(PushResult::decode(&v.encode()), Ok(v));
            },
            _ => if let Ok(v) = PullPage::decode(&damaged) {
                prop_assert_eq!(PullPage::decode(&v.encode()), Ok(v));
            },
        }
    }

    #[test]
    fn a_generated_batch_cut_anywhere_is_refused(
        items in prop::collection::vec(push_item(), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = PushBatch { items }.encode();
        prop_assert!(PushBatch::decode(&bytes[..cut.index(bytes.len())]).is_err());
        let full = body(&bytes);
        let cut_body = &full[..cut.index(full.len())];
        prop_assert_eq!(PushBatch::decode(&frame(PUSH_BATCH, cut_body)), Err(DecodeError::Truncated));
    }
}
