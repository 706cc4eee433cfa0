//! Any bytes given to the wire decoders are decoded or refused, never a panic, and what decodes
//! encodes back to the same bytes.
#![no_main]

use census_core::wire::{BootstrapPage, PullPage, PushBatch, PushResult};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|frame: &[u8]| {
    if let Ok(batch) = PushBatch::decode(frame) {
        assert_eq!(PushBatch::decode(&batch.encode()).ok().as_ref(), Some(&batch));
    }
    if let Ok(result) = PushResult::decode(frame) {
        assert_eq!(PushResult::decode(&result.encode()).ok().as_ref(), Some(&result));
    }
    if let Ok(page) = PullPage::decode(frame) {
        assert_eq!(PullPage::decode(&page.encode()).ok().as_ref(), Some(&page));
    }
    if let Ok(page) = BootstrapPage::decode(frame) {
        assert_eq!(BootstrapPage::decode(&page.encode()).ok().as_ref(), Some(&page));
    }
});
