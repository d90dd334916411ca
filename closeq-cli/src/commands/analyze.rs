//! `closeq analyze AUDIO|TRANSCRIPT --rubric ID|FILE`: audio is transcribed
//! (local Whisper by default), then metrics, scorecard, stored locally.

use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use closeq_analysis::llm::ModelSpec;
use closeq_analysis::scoring::{HeuristicScorer, LlmJudge};
use closeq_core::ports::{LanguageModel, Scorer};
use closeq_core::{ClientContact, Clock, ConsentMethod, EmailAddress, PhoneNumber, SystemClock};

use super::transcript::ImportArgs;
use closeq_pipeline::AnalyzeRequest;

/// `closeq analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    import: ImportArgs,
    #[command(flatten)]
    stt: super::audio::SttArgs,
    /// A built-in rubric id or a rubric file.
    #[arg(long, default_value = "discovery")]
    rubric: String,
    /// The scorer: `heuristic` (deterministic, offline), `llm` (OpenAI-
    /// compatible via CLOSEQ_OPENAI_*, or Anthropic via CLOSEQ_ANTHROPIC_*
    /// when CLOSEQ_LLM_PROVIDER=anthropic), `llm:openai:MODEL`,
    /// `llm:anthropic:MODEL`, or `llm:local:PATH.gguf` (in process, no
    /// network; settings from CLOSEQ_LLM_LOCAL_*).
    #[arg(long, default_value = "heuristic")]
    scorer: String,
    /// The call type (`discovery`, `demo`, ...).
    #[arg(long)]
    call_type: Option<String>,
    /// Print the full scorecard as JSON.
    #[arg(long)]
    json: bool,
    /// Store the call and queue it for `closeq worker` instead of
    /// analysing it here; prints the call id (the rubric must be a
    /// built-in one: workers resolve rubrics by id).
    #[arg(long)]
    queue: bool,
    /// The client's name (stored with the call; found by data-subject requests).
    #[arg(long)]
    client_name: Option<String>,
    /// The client's e-mail address.
    #[arg(long)]
    client_email: Option<String>,
    /// The client's phone number.
    #[arg(long)]
    client_phone: Option<String>,
    /// How recording consent was obtained; stored with the call (required
    /// when the workspace requires consent).
    #[arg(long, value_enum)]
    consent: Option<ConsentArg>,
}

/// How consent was obtained.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConsentArg {
    /// Said on the call and recorded.
    Verbal,
    /// An IVR announcement the client accepted.
    Ivr,
    /// In writing.
    Written,
    /// Part of a signed contract.
    Contract,
}

impl From<ConsentArg> for ConsentMethod {
    fn from(c: ConsentArg) -> Self {
        match c {
            ConsentArg::Verbal => Self::Verbal,
            ConsentArg::Ivr => Self::Ivr,
            ConsentArg::Written => Self::Written,
            ConsentArg::Contract => Self::Contract,
        }
    }
}

impl AnalyzeArgs {
    fn client(&self) -> anyhow::Result<ClientContact> {
        Ok(ClientContact {
            name: self.client_name.clone().map(Into::into),
            email: self
                .client_email
                .as_deref()
                .map(EmailAddress::parse)
                .transpose()
                .context("--client-email")?,
            phone: self
                .client_phone
                .as_deref()
                .map(PhoneNumber::parse)
                .transpose()
                .context("--client-phone")?,
        })
    }
}

fn llm() -> anyhow::Result<Arc<dyn LanguageModel>> {
    let provider = std::env::var("CLOSEQ_LLM_PROVIDER").unwrap_or_else(|_| "openai".into());
    Ok(match provider.as_str() {
        "anthropic" => Arc::new(closeq_analysis::llm::anthropic::AnthropicMessages::from_env()?),
        "openai" => Arc::new(closeq_analysis::llm::openai::OpenAiChat::from_env()?),
        other => anyhow::bail!("CLOSEQ_LLM_PROVIDER must be openai or anthropic, not `{other}`"),
    })
}

/// The scorer a `--scorer` value names.
pub fn scorer(spec: &str, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<dyn Scorer>> {
    Ok(match spec {
        "heuristic" => Arc::new(HeuristicScorer::new(clock)),
        "llm" => Arc::new(LlmJudge::new(llm()?, clock)),
        _ => match spec.strip_prefix("llm:") {
            Some(model) => {
                let model: ModelSpec = model.parse().with_context(|| format!("--scorer {spec}"))?;
                Arc::new(LlmJudge::new(model.build_from_env()?, clock))
            }
            None => anyhow::bail!(
                "--scorer {spec}: use heuristic, llm, llm:openai:MODEL, llm:anthropic:MODEL or llm:local:PATH.gguf"
            ),
        },
    })
}

/// Runs `closeq analyze` on an audio or transcript file.
pub fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    let rubric = super::rubric::resolve(&args.rubric)?;
    if args.queue && closeq_analysis::rubric::builtin_rubric(&args.rubric).is_err() {
        anyhow::bail!(
            "--queue takes a built-in rubric id (workers resolve rubrics by id); `closeq rubric list` shows them"
        );
    }
    let path = args.import.file.clone();
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    // Built before the runtime: a local model is loaded from disk here.
    let scorer = scorer(&args.scorer, Arc::new(SystemClock))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let is_audio = super::audio::is_audio(&path, &bytes[..bytes.len().min(16)]);
    let analysed = rt.block_on(async {
        // The engine first: a missing model fails before the data folder is touched.
        let stt = if is_audio {
            Some(super::audio::engine(&args.stt)?)
        } else {
            None
        };
        let state = closeq_pipeline::LocalInstallation::open().await?;
        let label = path
            .file_name()
            .map_or_else(|| "audio".into(), |n| n.to_string_lossy().into_owned());
        let bar = super::audio::progress_bar(&label);
        let mut builder = state
            .analyzer()?
            .scorer(scorer)
            .on_progress(super::audio::on_progress(bar.clone()));
        let mut req = if let Some(stt) = stt {
            builder = builder.speech_to_text(stt);
            let layout = super::audio::layout(&args.stt, args.import.rep_channel, &bytes);
            AnalyzeRequest::audio(bytes, layout, rubric.clone())
        } else {
            AnalyzeRequest::transcript(args.import.load()?, rubric.clone())
        }
        .with_client(args.client()?);
        req.call.call_type = args.call_type.clone();
        if let Some(c) = args.consent {
            req = req.with_consent(c.into());
        }
        if args.queue {
            bar.finish_and_clear();
            let queued = builder
                .build()?
                .submit(state.owner_scope(), req, state.jobs().as_ref())
                .await
                .context("the call could not be queued")?;
            return Ok(Err(queued));
        }
        let done = builder.build()?.analyze(state.owner_scope(), req).await;
        bar.finish_and_clear();
        done.map(Ok).context("analysis failed")
    })?;
    let analysed = match analysed {
        Ok(a) => a,
        Err(queued) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"call_id": queued.call_id, "job_id": queued.job_id})
                );
            } else {
                println!("{}", queued.call_id);
                eprintln!(
                    "queued as job {} ({:?}); run `closeq worker` to process it",
                    queued.job_id, queued.kind
                );
            }
            return Ok(());
        }
    };
    let card = analysed
        .scorecards
        .first()
        .context("the analysis stored no scorecard")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(card)?);
    } else {
        if let Some(p) = &analysed.transcript.provider
            && let Some(info) = &p.processing
        {
            println!(
                "transcribed by {} ({}; {} ; real-time factor {:.1})",
                p.name,
                p.model.as_deref().unwrap_or("-"),
                info.compute_type.as_deref().unwrap_or("-"),
                info.real_time_factor.unwrap_or(0.0)
            );
        }
        for w in &analysed.transcript.warnings {
            println!("note: {}", w.message);
        }
        print!("{}", closeq_pipeline::render_scorecard(card, &rubric));
        println!("stored as call {}", analysed.call.id);
    }
    Ok(())
}
