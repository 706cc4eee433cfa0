//! The bounded change and snapshot loader: any bytes are measured and loaded, or refused, without
//! inflating past the limits; a change the measure refuses is refused by every loader.
#![no_main]

use census_core::limits::{measure_change, measure_saved};
use census_core::{DeviceId, ProspectDoc, ProspectId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let id = ProspectId::from_bytes([1; 16]);
    let device = DeviceId::from_bytes([2; 16]);
    let measured = measure_change(bytes);
    let built = ProspectDoc::from_changes(id, &[bytes], device);
    if measured.is_err() {
        assert!(built.is_err(), "a change refused by its measure was applied");
    }
    let saved = measure_saved(bytes);
    if let Ok(doc) = ProspectDoc::load(id, bytes, device) {
        assert!(saved.is_ok(), "a snapshot refused by its measure was loaded");
        let _ = doc.read();
    }
});
