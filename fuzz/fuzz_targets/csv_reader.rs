//! The import's CSV reader: any bytes are read into a table or refused in words, never a panic.
#![no_main]

use census_replica::Table;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = Table::from_bytes("base.csv", bytes);
});
