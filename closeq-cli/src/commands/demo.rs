//! `closeq demo`.

/// Runs the demo.
pub fn run() -> anyhow::Result<()> {
    println!("closeq demo: the end-to-end pipeline is being built.");
    println!("It will: decode the bundled sample calls, transcribe them with local Whisper,");
    println!("compute conversation metrics, score them with the heuristic scorer,");
    println!("store them in a local SQLite database and print their scorecards.");
    Ok(())
}
