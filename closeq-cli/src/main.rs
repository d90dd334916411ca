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
    /// Transcribe audio (local Whisper by default) or import a transcript,
    /// score it against a rubric, store it, and print the scorecard.
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
    /// Benchmark scorers × rubrics against human labels (JSON, Markdown and
    /// HTML reports; exit code 3 when a --gate fails).
    Bench(commands::bench::BenchArgs),
    /// Show or change the workspace settings the compliance gates read.
    #[command(subcommand)]
    Workspace(commands::workspace::WorkspaceCommand),
    /// Your own account data: show it, or correct it yourself.
    #[command(subcommand)]
    Account(commands::account::AccountCommand),
    /// Print who read which calls, transcripts, scorecards and recordings
    /// (the access log, kept 90 days).
    AccessLog(commands::access_log::AccessLogArgs),
    /// Run queued jobs (transcription, then scoring; the daily retention
    /// sweep and request reminders) until SIGTERM or Ctrl-C.
    Worker(commands::worker::WorkerArgs),
    /// Serve the HTTP API (uploads with API keys, calls, scorecards,
    /// reviews, signed audio) with a worker in the same process, until
    /// SIGTERM or Ctrl-C.
    Serve(commands::serve::ServeArgs),
    /// Queued jobs: list them, show one, list the dead, retry one.
    #[command(subcommand)]
    Jobs(commands::worker::JobsCommand),
    /// Follow calls: list them, or show one with its transcript summary
    /// and scorecards.
    #[command(subcommand)]
    Calls(commands::calls::CallsCommand),
    /// A coaching report for a rep or a team over a period, from reviewed
    /// scores only: report.json, report.md and report.html.
    Report(commands::report::ReportArgs),
    /// PostgreSQL: create the roles and database, migrate, check the
    /// isolation (exit code 1 when a check fails).
    #[command(subcommand)]
    Db(commands::db::DbCommand),
    /// Print the sub-processor list (Markdown, or JSON with --json).
    Subprocessors {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// OpenMP (inside CTranslate2/oneDNN) reads its wait policy once, at start.
/// Sleeping idle threads let local Whisper decode both channels of a call at
/// once on all cores (see `WhisperConfig::parallel_channels`); spinning ones
/// make that slower. When the variable is unset, the command replaces
/// itself with a run that has it set (set it to anything to opt out). On
/// Unix the process image is replaced (`exec`), so the process keeps its id
/// and receives signals itself: a `closeq worker` stopped with SIGTERM
/// shuts down gracefully.
fn with_passive_openmp() -> Option<ExitCode> {
    if std::env::var_os("OMP_WAIT_POLICY").is_some() {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let mut command = std::process::Command::new(exe);
    command
        .args(std::env::args_os().skip(1))
        .env("OMP_WAIT_POLICY", "PASSIVE");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Returns only when the exec failed: run as we are.
        let _ = command.exec();
        None
    }
    #[cfg(not(unix))]
    {
        let status = command.status().ok()?;
        Some(ExitCode::from(
            status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(1),
        ))
    }
}

fn main() -> ExitCode {
    if let Some(code) = with_passive_openmp() {
        return code;
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Transcript(cmd) => commands::transcript::run(cmd),
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Rubric(cmd) => commands::rubric::run(cmd),
        Command::Subprocessors { json } => commands::subprocessors::run(json),
        Command::Workspace(cmd) => commands::workspace::run(cmd),
        Command::Agreement(args) => commands::agreement::run(args),
        Command::Bench(args) => match commands::bench::run_bench(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(3),
            Err(e) => Err(e),
        },
        Command::Retention(cmd) => commands::retention::run(cmd),
        Command::Keys(cmd) => commands::keys::run(cmd),
        Command::Dsr(cmd) => commands::dsr::run(cmd),
        Command::AccessLog(args) => commands::access_log::run(args),
        Command::Account(cmd) => commands::account::run(cmd),
        Command::Worker(args) => commands::worker::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Jobs(cmd) => commands::worker::run_jobs(cmd),
        Command::Calls(cmd) => commands::calls::run(cmd),
        Command::Report(args) => commands::report::run(args),
        Command::Db(cmd) => match commands::db::run(cmd) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
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
