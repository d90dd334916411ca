//! The access log's write side: store decorators that record every read of
//! a call, transcript, scorecard or recording and every signed URL issued
//! ([`AccessLoggedCallStore`], [`AccessLoggedAudioStore`]), through one
//! batching [`AccessRecorder`] into
//! [`WorkspaceStore::append_access`](closeq_core::ports::WorkspaceStore::append_access).

mod audio;
mod calls;
mod recorder;

pub use audio::AccessLoggedAudioStore;
pub use calls::AccessLoggedCallStore;
pub use recorder::{AccessLogConfig, AccessRecorder};
