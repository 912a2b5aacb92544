//! What several simulator test binaries share.

pub mod greeting;
