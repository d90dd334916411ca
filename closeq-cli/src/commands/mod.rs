//! One module per top-level command.

pub mod access_log;
pub mod account;
pub mod agreement;
pub mod analyze;
pub mod audio;
pub mod bench;
pub mod calls;
pub mod db;
pub mod demo;
pub mod dsr;
pub mod files;
pub mod keys;
pub mod report;
pub mod retention;
pub mod rubric;
pub mod serve;
pub mod subprocessors;
pub mod transcript;
pub mod worker;
pub mod workspace;
