use crate::subprocessor::SubProcessorInfo;

/// Anything that may send data out of the process declares where it goes.
///
/// Compliance gates call [`SubProcessor::sub_processor`] before any data
/// leaves and check it against the workspace's
/// [`TransferPolicy`](crate::TransferPolicy).
pub trait SubProcessor {
    /// Who receives the data, or `None` when the data never leaves the
    /// process (local Whisper, the heuristic scorer).
    fn sub_processor(&self) -> Option<SubProcessorInfo>;
}

fn _object_safe(_: &dyn SubProcessor) {}
