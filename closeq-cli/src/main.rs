//! `closeq`: the command-line front end of CloseQ.
#![forbid(unsafe_code)]

mod commands;

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
    Demo(commands::demo::DemoArgs),
    /// Work with transcripts.
    #[command(subcommand)]
    Transcript(commands::transcript::TranscriptCommand),
    /// Score a transcript against a rubric and print the scorecard.
    Analyze(commands::analyze::AnalyzeArgs),
    /// Work with rubrics (scoring frameworks).
    #[command(subcommand)]
    Rubric(commands::rubric::RubricCommand),
    /// API keys for data ingestion.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
    /// Retention sweeps over the local installation.
    #[command(subcommand)]
    Retention(commands::retention::RetentionCommand),
    /// Data-subject requests (access and portability export).
    #[command(subcommand)]
    Dsr(commands::dsr::DsrCommand),
    /// Print the GDPR Art. 30 record of processing (Markdown, or JSON with --json).
    ProcessingRecord {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Agreement statistics for two rating columns of a CSV file.
    Agreement(commands::agreement::AgreementArgs),
    /// Print the sub-processor list (Markdown, or JSON with --json).
    Subprocessors {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Transcript(cmd) => commands::transcript::run(cmd),
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Rubric(cmd) => commands::rubric::run(cmd),
        Command::Subprocessors { json } => commands::subprocessors::run(json),
        Command::Agreement(args) => commands::agreement::run(args),
        Command::Retention(cmd) => commands::retention::run(cmd),
        Command::Keys(cmd) => commands::keys::run(cmd),
        Command::Dsr(cmd) => commands::dsr::run(cmd),
        Command::ProcessingRecord { json } => commands::subprocessors::processing_record(json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
