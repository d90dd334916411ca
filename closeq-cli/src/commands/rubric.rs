//! `closeq rubric list|show|validate|schema`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use closeq_analysis::rubric::{
    builtin_rubric, builtin_rubrics, load_file, rubric_hash, rubric_schema,
};
use closeq_core::Rubric;

/// Rubric commands.
#[derive(Debug, Subcommand)]
pub enum RubricCommand {
    /// List the built-in rubrics.
    List,
    /// Show a built-in rubric (as JSON with `--json`).
    Show {
        /// The rubric's id (`spin`, `bant`, ...).
        id: String,
        /// Print the rubric as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Validate a rubric file (TOML, or JSON by extension).
    Validate {
        /// The file.
        file: PathBuf,
    },
    /// Print the JSON Schema of the rubric file format.
    Schema,
}

/// Resolves `--rubric`: a built-in id, or a path to a file.
pub fn resolve(spec: &str) -> anyhow::Result<Rubric> {
    let path = PathBuf::from(spec);
    if path.extension().is_some() || path.exists() {
        return load_file(&path).map_err(|e| anyhow::anyhow!("{e}"));
    }
    builtin_rubric(spec).with_context(|| {
        format!(
            "unknown rubric `{spec}` (built-in: {})",
            closeq_analysis::rubric::builtin_ids().join(", ")
        )
    })
}

/// Runs a rubric command.
pub fn run(cmd: RubricCommand) -> anyhow::Result<()> {
    match cmd {
        RubricCommand::List => {
            println!(
                "{:<12} {:<16} {:<8} {:>8}  call types",
                "id", "name", "version", "criteria"
            );
            for r in builtin_rubrics()? {
                println!(
                    "{:<12} {:<16} {:<8} {:>8}  {}",
                    r.id.as_str(),
                    r.name,
                    r.version,
                    r.all_criteria().len(),
                    if r.call_types.is_empty() {
                        "any".to_owned()
                    } else {
                        r.call_types.join(", ")
                    }
                );
            }
        }
        RubricCommand::Show { id, json } => {
            let r = builtin_rubric(&id).with_context(|| format!("unknown rubric `{id}`"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!("{} {} — {}", r.name, r.version, r.description);
                println!("identity {}", rubric_hash(&r));
                for c in r.all_criteria() {
                    let q = c.judge.as_ref().map_or("", |j| j.question.as_str());
                    println!(
                        "  {:<20} weight {:<4} evidence {:<7} {}",
                        c.id,
                        c.weight,
                        format!("{:?}", c.evidence).to_lowercase(),
                        q
                    );
                }
            }
        }
        RubricCommand::Validate { file } => {
            let r = load_file(&file).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}: ok — {} {} with {} criteria, identity {}",
                file.display(),
                r.name,
                r.version,
                r.all_criteria().len(),
                rubric_hash(&r)
            );
        }
        RubricCommand::Schema => println!("{}", serde_json::to_string_pretty(&rubric_schema())?),
    }
    Ok(())
}
