//! Coaching reports read from the stores: the calls of a period with their
//! latest scorecards, the comparison group's, names, verified moments and
//! signed links to the audio (see [`closeq_analysis::coaching`] for what a
//! report holds and how it is rendered).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use std::time::Duration;

use chrono::{DateTime, Utc};
use closeq_analysis::coaching::{self, CoachingReport, ReportInput, ReportSubject};
use closeq_analysis::metrics::BenchmarkPack;
use closeq_core::ports::{
    AudioStore, CallFilter, CallStore, MAX_SCORED_CALLS, PrivacyStore, ScoredCall, SignedMethod,
    WorkspaceStore,
};
use closeq_core::{
    CallId, Clock, Error, Result, Role, Rubric, Scope, Subject, TeamId, Transcript, UserId,
};

/// Who a report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFor {
    /// One rep.
    Rep(UserId),
    /// One team.
    Team(TeamId),
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The rep or team.
    pub subject: ReportFor,
    /// First instant of the period.
    pub from: DateTime<Utc>,
    /// End of the period (exclusive); at most
    /// [`coaching::MAX_REPORT_DAYS`] after `from`.
    pub to: DateTime<Utc>,
    /// The rubric the figures are about.
    pub rubric: Rubric,
    /// Link each moment to the recording at its second through a signed
    /// URL (for a report rendered for a person; needs
    /// [`CoachingReports::with_audio_links`]).
    pub audio_links: bool,
}

/// Builds coaching reports from the call and workspace stores.
///
/// Who may ask: a member for themselves; a manager for themselves, their
/// teams and their teams' reps; owners and admins for anyone. Anything
/// else is `Forbidden`. The figures use only the calls the asker can see.
#[derive(Debug, Clone)]
pub struct CoachingReports {
    calls: Arc<dyn CallStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    privacy: Arc<dyn PrivacyStore>,
    audio: Option<(Arc<dyn AudioStore>, Duration)>,
    benchmarks: BenchmarkPack,
    clock: Arc<dyn Clock>,
    seed: u64,
}

impl CoachingReports {
    /// Reports on these stores, with the default benchmark pack. The
    /// privacy store's subject flags keep the quotes of a restricted or
    /// objecting subject's calls out of a report's moments.
    pub fn new(
        calls: Arc<dyn CallStore>,
        workspaces: Arc<dyn WorkspaceStore>,
        privacy: Arc<dyn PrivacyStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            calls,
            workspaces,
            privacy,
            audio: None,
            benchmarks: BenchmarkPack::default_pack(),
            clock,
            seed: 0x00c0_ac11,
        }
    }

    /// Signs links to the recordings, valid for `ttl`.
    pub fn with_audio_links(mut self, audio: Arc<dyn AudioStore>, ttl: Duration) -> Self {
        self.audio = Some((audio, ttl));
        self
    }

    /// Compares metrics against `pack` instead of the default.
    pub fn with_benchmarks(mut self, pack: BenchmarkPack) -> Self {
        self.benchmarks = pack;
        self
    }

    /// Seeds the bootstrap intervals (the same seed gives the same report).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Builds a report. Errors: `Forbidden` (see the type), `NotFound` for
    /// an unknown team, `InvalidInput` naming `to` for an empty or overlong
    /// period or one with more than [`MAX_SCORED_CALLS`] calls.
    pub async fn report(&self, scope: &Scope, req: &ReportRequest) -> Result<CoachingReport> {
        let members = self
            .workspaces
            .list_members(scope)
            .await
            .unwrap_or_default();
        let names: BTreeMap<UserId, String> = members
            .iter()
            .map(|m| {
                let name = m.display_name.as_ref().map_or_else(
                    || format!("member {}", short(m.user_id.as_uuid().simple().to_string())),
                    |n| n.as_str().to_owned(),
                );
                (m.user_id, name)
            })
            .collect();
        let period = CallFilter {
            started_from: Some(req.from),
            started_before: Some(req.to),
            ..Default::default()
        };
        let (subject, filter) = match req.subject {
            ReportFor::Rep(rep) => {
                let managed = members
                    .iter()
                    .find(|m| m.user_id == rep)
                    .is_some_and(|m| m.team_ids.iter().any(|t| scope.team_ids.contains(t)));
                let allowed = match scope.role {
                    Role::Owner | Role::Admin => true,
                    Role::Manager => rep == scope.user_id || managed,
                    Role::Member => rep == scope.user_id,
                };
                if !allowed {
                    return Err(Error::Forbidden {
                        action: "coaching report".into(),
                        reason: "members report on themselves, managers on their teams' reps"
                            .into(),
                    });
                }
                let name = names
                    .get(&rep)
                    .cloned()
                    .unwrap_or_else(|| "(former member)".into());
                let subject = ReportSubject::Rep {
                    id: rep,
                    name: name.into(),
                };
                (
                    subject,
                    CallFilter {
                        rep_id: Some(rep),
                        ..period.clone()
                    },
                )
            }
            ReportFor::Team(team) => {
                let allowed = match scope.role {
                    Role::Owner | Role::Admin => true,
                    Role::Manager => scope.team_ids.contains(&team),
                    Role::Member => false,
                };
                if !allowed {
                    return Err(Error::Forbidden {
                        action: "coaching report".into(),
                        reason: "team reports are for the team's managers, admins and owners"
                            .into(),
                    });
                }
                let teams = self.workspaces.list_teams(scope).await?;
                let t = teams
                    .iter()
                    .find(|t| t.id == team)
                    .ok_or_else(|| Error::not_found("team", team))?;
                let subject = ReportSubject::Team {
                    id: team,
                    name: t.name.clone(),
                };
                (
                    subject,
                    CallFilter {
                        team_id: Some(team),
                        ..period.clone()
                    },
                )
            }
        };
        // The subject's calls and the comparison group's: a team report
        // reads the visible calls of the period once and picks the team's
        // out of them.
        let (own, pool, peers) = match (req.subject, scope.role) {
            // A member sees only their own calls: no honest team median.
            (ReportFor::Rep(_), Role::Member) => (
                self.read(scope, &filter).await?,
                Vec::new(),
                "team (not shown to members)",
            ),
            (ReportFor::Rep(_), _) => {
                let own = self.read(scope, &filter).await?;
                let teams: BTreeSet<TeamId> = own.iter().filter_map(|c| c.call.team_id).collect();
                let mut pool = Vec::new();
                for team in teams {
                    let f = CallFilter {
                        team_id: Some(team),
                        ..period.clone()
                    };
                    pool.extend(self.read(scope, &f).await?);
                }
                (own, pool, "team")
            }
            (ReportFor::Team(_), role) => {
                let label = if role == Role::Manager {
                    "managed teams"
                } else {
                    "workspace"
                };
                (Vec::new(), self.read(scope, &period).await?, label)
            }
        };
        let audio_of: HashMap<CallId, String> = own
            .iter()
            .chain(&pool)
            .filter_map(|c| Some((c.call.id, c.call.audio.as_ref()?.key.clone())))
            .collect();
        let (rubric, benchmarks, seed, now) = (
            req.rubric.clone(),
            self.benchmarks.clone(),
            self.seed,
            self.clock.now(),
        );
        let (from, to) = (req.from, req.to);
        // The figures are CPU work (a bootstrap per criterion): off the
        // async runtime.
        let mut report = tokio::task::spawn_blocking(move || {
            let peer_calls: Vec<&ScoredCall> = pool.iter().collect();
            let calls: Vec<&ScoredCall> = match &subject {
                ReportSubject::Rep { .. } => own.iter().collect(),
                ReportSubject::Team { id, .. } => pool
                    .iter()
                    .filter(|c| c.call.team_id == Some(*id))
                    .collect(),
            };
            coaching::build(ReportInput {
                subject: &subject,
                calls: &calls,
                peer_calls: &peer_calls,
                peers,
                rubric: &rubric,
                benchmarks: &benchmarks,
                from,
                to,
                generated_at: now,
                rep_names: &names,
                seed,
            })
        })
        .await
        .map_err(|_| Error::Internal {
            reason: "the report's computation panicked".into(),
        })??;
        self.verify_moments(scope, &mut report, &audio_of, req.audio_links)
            .await?;
        Ok(report)
    }

    async fn read(&self, scope: &Scope, filter: &CallFilter) -> Result<Vec<ScoredCall>> {
        let calls = self
            .calls
            .scored_calls(scope, filter, MAX_SCORED_CALLS)
            .await?;
        if calls.len() >= MAX_SCORED_CALLS as usize {
            return Err(Error::invalid(
                "to",
                format!(
                    "the period holds more than {} calls; report on a shorter one",
                    MAX_SCORED_CALLS - 1
                ),
            ));
        }
        Ok(calls)
    }

    /// Keeps only moments whose quote is still in the stored transcript
    /// (a rectification or erasure may have changed it since scoring) and
    /// whose call has no restricted or objecting subject, and
    /// links each to the recording at its second when asked.
    async fn verify_moments(
        &self,
        scope: &Scope,
        report: &mut CoachingReport,
        audio_of: &HashMap<CallId, String>,
        links: bool,
    ) -> Result<()> {
        let mut transcripts: HashMap<CallId, Option<Transcript>> = HashMap::new();
        let mut flagged: HashMap<CallId, bool> = HashMap::new();
        for h in report.strongest.iter_mut().chain(report.weakest.iter_mut()) {
            let mut kept = Vec::with_capacity(h.moments.len());
            for mut m in std::mem::take(&mut h.moments) {
                let transcript = match transcripts.entry(m.call_id) {
                    Entry::Occupied(t) => t.into_mut(),
                    Entry::Vacant(slot) => {
                        let t = match self.calls.get_transcript(scope, m.call_id).await {
                            Ok(t) => Some(t),
                            Err(Error::NotFound { .. }) => None,
                            Err(e) => return Err(e),
                        };
                        slot.insert(t)
                    }
                };
                let quoted = transcript
                    .as_ref()
                    .and_then(|t| t.utterance(m.utterance_id))
                    .is_some_and(|u| !m.quote.is_empty() && u.text.contains(m.quote.as_str()));
                if !quoted || !self.may_quote(scope, m.call_id, &mut flagged).await? {
                    continue;
                }
                if let (true, Some((audio, ttl)), Some(key)) =
                    (links, &self.audio, audio_of.get(&m.call_id))
                {
                    match audio
                        .signed_url(scope, m.call_id, key, SignedMethod::Get, *ttl)
                        .await
                    {
                        Ok(u) => {
                            m.audio_url =
                                Some(format!("{}#t={}", u.url.as_str(), m.at_ms / 1000).into());
                        }
                        Err(Error::Unsupported { .. } | Error::NotFound { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                kept.push(m);
            }
            h.moments = kept;
        }
        Ok(())
    }
}

impl CoachingReports {
    /// Whether a call's subjects (its rep, its client) let it be quoted:
    /// none restricted, none objecting. Cached per call in `seen`.
    async fn may_quote(
        &self,
        scope: &Scope,
        call: CallId,
        seen: &mut HashMap<CallId, bool>,
    ) -> Result<bool> {
        if let Some(&ok) = seen.get(&call) {
            return Ok(ok);
        }
        let c = self.calls.get_call(scope, call).await?;
        let flags = self
            .privacy
            .subject_flags(scope, &Subject::of_call(&c))
            .await?;
        let ok = !flags.restricted && !flags.objected;
        seen.insert(call, ok);
        Ok(ok)
    }
}

fn short(s: String) -> String {
    s.chars().take(8).collect()
}
