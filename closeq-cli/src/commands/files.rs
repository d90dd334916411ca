//! Files the CLI writes for people: exports and reports, all or nothing.

use anyhow::Context;
use closeq_pipeline::local::write_private;

/// Writes every file under a temporary name first and renames them into
/// place only when all were written, so a failed export leaves no partial
/// set of files behind.
pub(crate) fn write_all_or_nothing(
    dir: &std::path::Path,
    files: &[(&str, String)],
) -> anyhow::Result<()> {
    let partial = |name: &str| dir.join(format!(".{name}.partial"));
    let written = files
        .iter()
        .try_for_each(|(name, body)| write_private(&partial(name), body.as_bytes()));
    let written: anyhow::Result<()> = written.map_err(Into::into);
    if let Err(e) = written {
        for (name, _) in files {
            let _ = std::fs::remove_file(partial(name));
        }
        return Err(e);
    }
    for (name, _) in files {
        std::fs::rename(partial(name), dir.join(name))
            .with_context(|| format!("cannot write {name} in {}", dir.display()))?;
    }
    Ok(())
}
