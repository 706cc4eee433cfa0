//! A pushed change, as the server reads it before storing it: any bytes are accepted with what
//! they say about themselves, within the limits, or refused with a known code; never a panic,
//! never more memory than the limits allow.
#![no_main]

use census_core::limits::{MAX_CHANGE_BYTES, MAX_CHANGE_OPS};
use census_core::wire::{DocKind, PushItem, PushOutcome};
use census_core::{ProspectId, TerritoryId};
use census_server::store::PushedChange;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|change: &[u8]| {
    let item = PushItem {
        doc: ProspectId::from_bytes([1; 16]),
        kind: DocKind::Prospect,
        territory: TerritoryId::from_bytes([2; 16]),
        change: change.to_vec(),
    };
    match PushedChange::inspect(item).info {
        Ok(info) => assert!(info.size.bytes <= MAX_CHANGE_BYTES && info.size.ops <= MAX_CHANGE_OPS),
        Err(PushOutcome::Refused { code, .. }) => {
            assert!(code == "undecodable_change" || code == "change_too_large", "{code}")
        }
        Err(other) => panic!("a refusal that is not one: {other:?}"),
    }
});
