// The shapes the Rust commands exchange with the window: generated from the Rust types into
// `bindings.ts` (see src-tauri/src/bindings.rs; a test fails when it drifts from them).
export type * from './bindings';
