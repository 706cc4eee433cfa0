//! The import's XLSX reader: any bytes are read into a table or refused in words, never a panic,
//! never an allocation a crafted workbook asks for.
#![no_main]

use census_replica::Table;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = Table::from_bytes("base.xlsx", bytes);
});
