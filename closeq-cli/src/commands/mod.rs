//! One module per top-level command.

pub mod agreement;
pub mod analyze;
pub mod audio;
pub mod bench;
pub mod demo;
pub mod dsr;
pub mod keys;
pub mod local;
pub mod pipeline;
pub mod retention;
pub mod rubric;
pub mod subprocessors;
pub mod transcript;
