//! `closeq`: the command-line front end of CloseQ.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Sales-call quality analysis and coaching, with GDPR and EU AI Act rules built in.
#[derive(Debug, Parser)]
#[command(name = "closeq", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse the bundled sample calls end to end on the embedded defaults
    /// and print their scorecards.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn demo() -> anyhow::Result<()> {
    println!("closeq demo: the end-to-end pipeline is being built.");
    println!("It will: decode the bundled sample calls, transcribe them with local Whisper,");
    println!("compute conversation metrics, score them with the heuristic scorer,");
    println!("store them in a local SQLite database and print their scorecards.");
    Ok(())
}
