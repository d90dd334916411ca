//! Coaching reports on a seeded 60-call, 3-rep, 8-week data set: the
//! figures against an independent computation in this file, what a
//! rejection and an override change, a rep with only unreviewed calls, and
//! who may ask.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use closeq_analysis::coaching::{self, CoachingReport};
use closeq_core::ports::{CallBundle, CallFilter};
use closeq_core::testing::{World, base_time};
use closeq_core::{
    Call, CallId, Clock, CriterionResult, Error, EvidenceSpan, Member, Provenance, ReviewChange,
    Role, Rubric, Scope, Score, Scorecard, ScorecardDraft, SpeakerRole, UserId, UtteranceId,
    Verdict,
};
use closeq_pipeline::{CoachingReports, ReportFor, ReportRequest};
use support::{Backend, Ctx, discovery};

const WEEKS: i64 = 8;

/// xorshift: the data set's verdicts.
struct Seeded(u64);
impl Seeded {
    fn verdict(&mut self) -> Verdict {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        [
            Verdict::Met,
            Verdict::Partial,
            Verdict::Missed,
            Verdict::Met,
        ][(self.0 % 4) as usize]
    }
}

/// What the seeded calls say: (rep?, text), 20 s apart.
const LINES: [(bool, &str); 6] = [
    (
        true,
        "What made you look at new reporting tools this quarter?",
    ),
    (
        false,
        "Our month-end close takes nine days and the board is unhappy.",
    ),
    (true, "So the close time is the pain; who else feels it?"),
    (
        false,
        "Finance, and our CFO signs off on anything above twenty thousand.",
    ),
    (
        true,
        "Could we book a pilot review with your CFO next Tuesday?",
    ),
    (false, "Yes, Tuesday at ten works for both of us."),
];

fn transcript() -> closeq_core::Transcript {
    support::transcript(
        &LINES
            .iter()
            .enumerate()
            .map(|(i, (rep, text))| {
                format!(
                    "[00:{:02}:{:02}] {}: {text}\n",
                    i / 3,
                    (i % 3) * 20,
                    if *rep { "Rep" } else { "Client" }
                )
            })
            .collect::<String>(),
    )
}

fn card(call: &Call, rubric: &Rubric, rng: &mut Seeded) -> Scorecard {
    let mut metrics = closeq_core::ConversationMetrics::default();
    let jitter = f64::from((rng.0 % 7) as u32);
    metrics.talk_ratio.rep = 0.38 + jitter * 0.03;
    metrics.talk_ratio.client = 1.0 - metrics.talk_ratio.rep;
    metrics.longest_rep_monologue_ms = 40_000 + 12_000 * (rng.0 % 9);
    metrics.longest_customer_story_ms = 60_000 + 15_000 * (rng.0 % 11);
    metrics.questions.rep = 6 + (rng.0 % 8) as u32;
    metrics.patience.mean_ms = Some(600.0 + 80.0 * jitter);
    Scorecard::suggested(ScorecardDraft {
        call_id: call.id,
        workspace_id: call.workspace_id,
        score: Score::new(60.0).unwrap(),
        criteria: rubric
            .criteria
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let u = k % LINES.len();
                let (rep, text) = LINES[u];
                CriterionResult {
                    criterion_id: c.id.clone(),
                    verdict: rng.verdict(),
                    weight: c.weight,
                    points: 0.0,
                    evidence: vec![EvidenceSpan {
                        utterance_id: UtteranceId(u as u32),
                        char_start: 0,
                        char_end: text.chars().count() as u32,
                        start_ms: u as u64 * 20_000,
                        end_ms: u as u64 * 20_000 + 15_000,
                        quote: text.into(),
                        speaker_role: if rep {
                            SpeakerRole::Rep
                        } else {
                            SpeakerRole::Client
                        },
                    }],
                    rationale: "seeded".into(),
                }
            })
            .collect(),
        explanation: vec![],
        coaching_notes: vec![],
        recommendations: vec![],
        issues: vec![],
        metrics: Some(metrics),
        summary: None,
        provenance: Provenance {
            scorer: "seeded".into(),
            model: None,
            rubric_id: rubric.id.clone(),
            rubric_version: rubric.version.clone(),
            rubric_hash: "sha256:00".into(),
            prompt_version: None,
            transcript_hash: "sha256:11".into(),
            generated_at: base_time(),
        },
    })
}

struct Data {
    ctx: Ctx,
    rubric: Rubric,
    /// Reviewed reps' scopes and the unreviewed-only rep's.
    rep_a: Scope,
    rep_c: Scope,
    rep_d: Scope,
    /// Two of rep A's cards left unreviewed for the rejection and the override.
    held: Vec<Scorecard>,
}

fn from() -> DateTime<Utc> {
    base_time()
}
fn to() -> DateTime<Utc> {
    base_time() + Duration::weeks(WEEKS)
}

async fn member(ctx: &Ctx, w: &World, name: &str) -> Scope {
    let m = Member {
        workspace_id: w.workspace.id,
        user_id: UserId::new(),
        role: Role::Member,
        team_ids: [w.team_a].into_iter().collect(),
        display_name: Some(name.to_owned().into()),
        email: None,
        joined_at: base_time(),
        time_zone: None,
        preferences: Default::default(),
    };
    ctx.stores
        .workspaces
        .put_member(&w.owner, &m)
        .await
        .unwrap();
    Scope::of_member(&m)
}

/// 20 calls for each of three reps in team A over eight weeks; rep D's
/// cards stay unreviewed, the others' are accepted except two of rep A's.
async fn data(b: Backend) -> Data {
    let ctx = Ctx::new(b).await;
    let w = &ctx.world;
    let rubric = discovery();
    let rep_a = w.rep_a.clone();
    let rep_c = member(&ctx, w, "Carla Reyes").await;
    let rep_d = member(&ctx, w, "Dmitri Ivanov").await;
    let mut rng = Seeded(0x5eed_c0ac);
    let mut held = Vec::new();
    for (r, rep) in [&rep_a, &rep_c, &rep_d].into_iter().enumerate() {
        for i in 0..20i64 {
            // Call i of each rep in week i mod 8, a different hour per rep.
            let minutes = (i % WEEKS) * 7 * 24 * 60 + (i / WEEKS) * 24 * 60 + r as i64 * 60;
            let call = w.call(rep, Some(w.team_a), minutes);
            let mut c = card(&call, &rubric, &mut rng);
            let bundle = CallBundle {
                call: call.clone(),
                transcript: Some(transcript()),
                scorecards: vec![c.clone()],
                consent: None,
            };
            ctx.stores.calls.ingest(rep, &[bundle]).await.unwrap();
            let hold = r == 0 && (i == 5 || i == 13);
            if hold {
                held.push(c);
            } else if r != 2 {
                c.accept(w.owner.user_id, base_time()).unwrap();
                ctx.stores.calls.save_review(&w.owner, &c).await.unwrap();
            }
        }
    }
    Data {
        ctx,
        rubric,
        rep_a,
        rep_c,
        rep_d,
        held,
    }
}

fn reports(ctx: &Ctx) -> CoachingReports {
    CoachingReports::new(
        ctx.stores.calls.clone(),
        ctx.stores.workspaces.clone(),
        ctx.stores.privacy.clone(),
        ctx.clock.clone() as Arc<dyn Clock>,
    )
}

fn request(subject: ReportFor, rubric: &Rubric) -> ReportRequest {
    ReportRequest {
        subject,
        from: from(),
        to: to(),
        rubric: rubric.clone(),
        audio_links: false,
    }
}

/// The figures computed here, independently: per criterion, the rep's
/// weekly means and the team's weekly medians over reviewed cards.
async fn expected(
    ctx: &Ctx,
    owner: &Scope,
    rep: UserId,
    criterion: &str,
) -> (Vec<Option<f64>>, Vec<Option<f64>>, Option<f64>) {
    let all = ctx
        .stores
        .calls
        .scored_calls(owner, &CallFilter::default(), 1000)
        .await
        .unwrap();
    let mut rep_weeks = vec![Vec::new(); WEEKS as usize];
    let mut team_weeks = vec![Vec::new(); WEEKS as usize];
    for c in &all {
        let card = c.scorecards.last().unwrap();
        let Some(verdicts) = card.effective_verdicts() else {
            continue;
        };
        if !card.review().is_reviewed() {
            continue;
        }
        let v = verdicts.iter().find(|v| v.0 == criterion).unwrap().1;
        let score = match v {
            Verdict::Met => 100.0,
            Verdict::Partial => 50.0,
            Verdict::Missed => 0.0,
            _ => continue,
        };
        let week = ((c.call.started_at - from()).num_days() / 7) as usize;
        team_weeks[week].push(score);
        if c.call.rep_id == rep {
            rep_weeks[week].push(score);
        }
    }
    let mean = |v: &Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let median = |v: &Vec<f64>| {
        let mut v = v.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(v[n / 2]),
            _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
        }
    };
    let all_rep: Vec<f64> = rep_weeks.iter().flatten().copied().collect();
    (
        rep_weeks.iter().map(mean).collect(),
        team_weeks.iter().map(median).collect(),
        mean(&all_rep),
    )
}

async fn check_against_expected(d: &Data, report: &CoachingReport, rep: UserId) {
    let owner = &d.ctx.world.owner;
    for c in &report.criteria {
        let (weekly, medians, mean) = expected(&d.ctx, owner, rep, &c.criterion_id).await;
        assert_eq!(c.weekly, weekly, "{}: weekly means", c.criterion_id);
        assert_eq!(
            c.peer_weekly_median, medians,
            "{}: team medians",
            c.criterion_id
        );
        assert_eq!(c.mean, mean, "{}: mean", c.criterion_id);
    }
}

async fn figures_match_an_independent_computation(b: Backend) {
    let d = data(b).await;
    let w = &d.ctx.world;
    let r = reports(&d.ctx)
        .report(
            &w.manager,
            &request(ReportFor::Rep(d.rep_a.user_id), &d.rubric),
        )
        .await
        .unwrap();
    assert_eq!(r.weeks.len(), 8);
    assert_eq!(r.criteria.len(), d.rubric.criteria.len());
    assert_eq!(
        (
            r.oversight.calls,
            r.oversight.reviewed,
            r.oversight.unreviewed
        ),
        (20, 18, 2)
    );
    assert_eq!(r.oversight.unreviewed_calls.len(), 2);
    assert!(
        r.oversight.statement.contains("18 of 20 calls"),
        "{}",
        r.oversight.statement
    );
    assert_eq!(r.peers, "team");
    check_against_expected(&d, &r, d.rep_a.user_id).await;

    // One week by hand: rep A's week-0 calls are i = 0, 8, 16, all accepted.
    let first = &d.rubric.criteria[0].id;
    let own: Vec<f64> = d
        .ctx
        .stores
        .calls
        .scored_calls(
            &w.owner,
            &CallFilter {
                rep_id: Some(d.rep_a.user_id),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap()
        .iter()
        .filter(|c| (c.call.started_at - from()).num_days() < 7)
        .map(|c| match c.scorecards.last().unwrap().criteria[0].verdict {
            Verdict::Met => 100.0,
            Verdict::Partial => 50.0,
            _ => 0.0,
        })
        .collect();
    assert_eq!(own.len(), 3);
    let t = r
        .criteria
        .iter()
        .find(|c| &c.criterion_id == first)
        .unwrap();
    assert_eq!(t.weekly[0], Some(own.iter().sum::<f64>() / 3.0));

    // Change with its seeded interval, the same on a second run.
    let again = reports(&d.ctx)
        .report(
            &w.manager,
            &request(ReportFor::Rep(d.rep_a.user_id), &d.rubric),
        )
        .await
        .unwrap();
    assert_eq!(again.criteria, r.criteria);
    for c in &r.criteria {
        let ch = c.change.as_ref().expect("both halves have reviewed calls");
        assert!((ch.delta - (ch.late_mean - ch.early_mean)).abs() < 1e-9);
        let (lo, hi) = ch.interval.expect("interval");
        assert!(lo <= ch.delta && ch.delta <= hi, "{lo} {} {hi}", ch.delta);
    }
    // Highlights: disjoint, ordered, moments verified and cited.
    assert!(!r.strongest.is_empty() && !r.weakest.is_empty());
    for h in r.strongest.iter().chain(&r.weakest) {
        assert!(h.moments.len() <= 3);
        for m in &h.moments {
            let u = m.utterance_id.0 as usize;
            assert_eq!(m.quote.as_str(), LINES[u].1, "the quote of its utterance");
            assert_eq!(m.at_ms, u as u64 * 20_000);
        }
    }
    for h in &r.weakest {
        assert!(h.focus.as_deref().is_some_and(|f| f.starts_with(&h.title)));
    }
    assert!(r.strongest[0].mean >= r.weakest[0].mean);

    // A moment whose quote is no longer in the stored transcript (rectified
    // since scoring) is left out.
    let gone = r.strongest[0].moments[0].call_id;
    d.ctx
        .stores
        .calls
        .put_transcript(
            &w.owner,
            gone,
            &support::transcript("[00:00:00] Rep: [redacted]\n"),
        )
        .await
        .unwrap();
    let rectified = reports(&d.ctx)
        .report(
            &w.manager,
            &request(ReportFor::Rep(d.rep_a.user_id), &d.rubric),
        )
        .await
        .unwrap();
    assert!(
        rectified
            .strongest
            .iter()
            .chain(&rectified.weakest)
            .flat_map(|h| &h.moments)
            .all(|m| m.call_id != gone)
    );

    // The renderings carry the figures.
    let md = coaching::markdown(&r);
    assert!(md.contains("Human oversight") && md.contains("18 of 20 calls"));
    let html = coaching::html(&r);
    let points = html.matches(r#"class="point""#).count();
    let expected_points: usize = r
        .criteria
        .iter()
        .map(|c| c.weekly.iter().flatten().count() + c.peer_weekly_median.iter().flatten().count())
        .sum::<usize>()
        + r.metrics.len();
    assert_eq!(points, expected_points);
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(json["format"], "closeq.coaching-report");
    assert_eq!(json["version"], 1);
}

async fn a_rejection_and_an_override_change_the_figures(b: Backend) {
    let d = data(b).await;
    let w = &d.ctx.world;
    let req = request(ReportFor::Rep(d.rep_a.user_id), &d.rubric);
    let before = reports(&d.ctx).report(&w.manager, &req).await.unwrap();

    let mut rejected = d.held[0].clone();
    rejected
        .reject(w.owner.user_id, base_time(), "wrong call")
        .unwrap();
    d.ctx
        .stores
        .calls
        .save_review(&w.owner, &rejected)
        .await
        .unwrap();
    let mut overridden = d.held[1].clone();
    let crit = d.rubric.criteria[0].id.clone();
    let was = overridden.criteria[0].verdict;
    let now = if was == Verdict::Met {
        Verdict::Missed
    } else {
        Verdict::Met
    };
    overridden
        .override_with(
            w.owner.user_id,
            base_time(),
            vec![ReviewChange {
                criterion_id: Some(crit.clone()),
                verdict: Some(now),
                score: None,
            }],
            "listened again",
        )
        .unwrap();
    d.ctx
        .stores
        .calls
        .save_review(&w.owner, &overridden)
        .await
        .unwrap();

    let after = reports(&d.ctx).report(&w.manager, &req).await.unwrap();
    assert_eq!(
        (
            after.oversight.reviewed,
            after.oversight.rejected,
            after.oversight.overridden,
            after.oversight.unreviewed
        ),
        (19, 1, 1, 0)
    );
    check_against_expected(&d, &after, d.rep_a.user_id).await;
    // The overridden call (i = 13: week 5) now counts, with the reviewer's verdict.
    let (b5, a5) = (&before.criteria[0], &after.criteria[0]);
    assert_eq!(a5.reviewed_calls, b5.reviewed_calls + 1);
    assert_ne!(a5.weekly[5], b5.weekly[5], "the override moved week 5");
    // The rejected call (i = 5: week 5 too) counts for nothing: week 5
    // had no reviewed call before, and now only the overridden one.
    let score = if now == Verdict::Met { 100.0 } else { 0.0 };
    assert_eq!(b5.weekly[5], None);
    assert_eq!(a5.weekly[5], Some(score));
}

async fn unreviewed_only_rep_gets_no_score_figures(b: Backend) {
    let d = data(b).await;
    let w = &d.ctx.world;
    let r = reports(&d.ctx)
        .report(
            &w.owner,
            &request(ReportFor::Rep(d.rep_d.user_id), &d.rubric),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            r.oversight.calls,
            r.oversight.reviewed,
            r.oversight.unreviewed
        ),
        (20, 0, 20)
    );
    assert_eq!(r.oversight.unreviewed_calls.len(), 20);
    for c in &r.criteria {
        assert!(c.weekly.iter().all(Option::is_none), "{}", c.criterion_id);
        assert_eq!(
            (c.mean, c.change.as_ref(), c.reviewed_calls),
            (None, None, 0)
        );
    }
    assert!(r.strongest.is_empty() && r.weakest.is_empty());
    // Metrics are measurements and still count.
    assert!(!r.metrics.is_empty());

    // A team report lists the reps by name, never by score.
    let team = reports(&d.ctx)
        .report(&w.manager, &request(ReportFor::Team(w.team_a), &d.rubric))
        .await
        .unwrap();
    let names: Vec<&str> = team.reps.iter().map(|p| p.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    let dmitri = team
        .reps
        .iter()
        .find(|p| p.name.as_str() == "Dmitri Ivanov")
        .unwrap();
    assert_eq!(
        (
            dmitri.reviewed,
            dmitri.unreviewed,
            dmitri.mean_reviewed_score
        ),
        (0, 20, None)
    );
    assert_eq!(team.oversight.calls, 60);
    let _ = d.rep_c;
}

async fn only_the_right_people_may_ask(b: Backend) {
    let d = data(b).await;
    let w = &d.ctx.world;
    let rep = |u| request(ReportFor::Rep(u), &d.rubric);
    let forbidden = |r: Result<CoachingReport, Error>| matches!(r, Err(Error::Forbidden { .. }));
    let reports = reports(&d.ctx);
    // A member: themselves only, with no team median.
    let own = reports
        .report(&d.rep_a, &rep(d.rep_a.user_id))
        .await
        .unwrap();
    assert!(
        own.criteria
            .iter()
            .all(|c| c.peer_weekly_median.iter().all(Option::is_none))
    );
    assert!(forbidden(
        reports.report(&d.rep_a, &rep(d.rep_c.user_id)).await
    ));
    assert!(forbidden(
        reports
            .report(&d.rep_a, &request(ReportFor::Team(w.team_a), &d.rubric))
            .await
    ));
    // A manager: their team and its reps, not another team or its reps.
    assert!(forbidden(
        reports
            .report(&w.manager, &request(ReportFor::Team(w.team_b), &d.rubric))
            .await
    ));
    assert!(forbidden(
        reports.report(&w.manager, &rep(w.rep_b.user_id)).await
    ));
    // A bad period is named.
    let mut bad = rep(d.rep_a.user_id);
    bad.to = bad.from;
    match reports.report(&w.owner, &bad).await {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "to"),
        other => panic!("{other:?}"),
    }
    let _: CallId = own.oversight.unreviewed_calls[0].call_id;
    let _ = BTreeMap::<u8, u8>::new();
}

/// The team report's HTML page in a real headless Chromium
/// (`scripts/check-report-html`): no console errors, every chart draws
/// exactly the data points of the JSON report, a screenshot is written
/// (under the target directory's test scratch folder).
#[tokio::test]
async fn html_report_renders_in_a_real_browser() {
    let Some(python) = closeq_core::testing::required_service(
        "headless Chromium driven by Playwright (scripts/check-report-html)",
        "CLOSEQ_TEST_BROWSER_PYTHON",
    ) else {
        return;
    };
    let d = data(Backend::Sqlite).await;
    let w = &d.ctx.world;
    // One override and one rejection, so the page shows both.
    let mut overridden = d.held[1].clone();
    overridden
        .override_with(
            w.owner.user_id,
            base_time(),
            vec![ReviewChange {
                criterion_id: Some(d.rubric.criteria[0].id.clone()),
                verdict: Some(Verdict::Met),
                score: None,
            }],
            "listened again",
        )
        .unwrap();
    d.ctx
        .stores
        .calls
        .save_review(&w.owner, &overridden)
        .await
        .unwrap();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("coaching-report");
    std::fs::create_dir_all(&out).unwrap();
    for (name, subject) in [
        ("team", ReportFor::Team(w.team_a)),
        ("rep", ReportFor::Rep(d.rep_a.user_id)),
    ] {
        let r = reports(&d.ctx)
            .report(&w.manager, &request(subject, &d.rubric))
            .await
            .unwrap();
        let (html, json, shot) = (
            out.join(format!("{name}.html")),
            out.join(format!("{name}.json")),
            out.join(format!("{name}.png")),
        );
        std::fs::write(&html, coaching::html(&r)).unwrap();
        std::fs::write(&json, serde_json::to_vec(&r).unwrap()).unwrap();
        let _ = std::fs::remove_file(&shot);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/check-report-html");
        let run = std::process::Command::new(&python)
            .arg(script)
            .args([&html, &json, &shot])
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        let png = std::fs::read(&shot).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name}: a PNG screenshot");
        println!("{}", String::from_utf8_lossy(&run.stdout));
    }
}

/// A call scored again later — against another rubric, or rescored — keeps
/// its reviewed card in the report.
async fn a_later_card_does_not_hide_a_review(b: Backend) {
    let d = data(b).await;
    let w = &d.ctx.world;
    let req = request(ReportFor::Rep(d.rep_c.user_id), &d.rubric);
    let before = reports(&d.ctx).report(&w.manager, &req).await.unwrap();
    let calls = d
        .ctx
        .stores
        .calls
        .scored_calls(
            &w.owner,
            &CallFilter {
                rep_id: Some(d.rep_c.user_id),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    let mut rng = Seeded(7);
    let call = &calls[0].call;
    let mut other = card(
        call,
        &closeq_analysis::rubric::builtin_rubric("bant").unwrap(),
        &mut rng,
    );
    other.provenance.scorer = "another".into();
    d.ctx
        .stores
        .calls
        .insert_scorecard(&w.owner, &other)
        .await
        .unwrap();
    let mut rescored = card(call, &d.rubric, &mut rng);
    rescored.provenance.scorer = "rescore".into();
    d.ctx
        .stores
        .calls
        .insert_scorecard(&w.owner, &rescored)
        .await
        .unwrap();
    let after = reports(&d.ctx).report(&w.manager, &req).await.unwrap();
    assert_eq!(
        (
            after.oversight.reviewed,
            after.oversight.other_rubric,
            after.oversight.unreviewed
        ),
        (20, 0, 0)
    );
    assert_eq!(
        after.criteria, before.criteria,
        "the reviewed card still counts"
    );
}

/// A call whose client is restricted or whose rep objects is never quoted
/// in a report's moments.
async fn a_restricted_or_objecting_subjects_calls_are_not_quoted(b: Backend) {
    let d = data(b).await;
    let w = &d.ctx.world;
    let req = request(ReportFor::Rep(d.rep_a.user_id), &d.rubric);
    let before = reports(&d.ctx).report(&w.manager, &req).await.unwrap();
    let quoted = before.strongest[0].moments[0].call_id;
    let call = d.ctx.stores.calls.get_call(&w.owner, quoted).await.unwrap();
    let client = closeq_core::Subject::of_call(&call).pop().unwrap();
    let restricted = closeq_core::SubjectFlags {
        restricted: true,
        ..Default::default()
    };
    d.ctx
        .stores
        .privacy
        .set_subject_flags(&w.owner, &client, restricted)
        .await
        .unwrap();
    let after = reports(&d.ctx).report(&w.manager, &req).await.unwrap();
    let moments = || {
        after
            .strongest
            .iter()
            .chain(&after.weakest)
            .flat_map(|h| &h.moments)
    };
    assert!(
        moments().all(|m| m.call_id != quoted),
        "a restricted client's call is quoted"
    );
    // The rep objects: none of their calls is quoted any more.
    let rep = closeq_core::Subject::User(d.rep_a.user_id);
    let objected = closeq_core::SubjectFlags {
        objected: true,
        ..Default::default()
    };
    d.ctx
        .stores
        .privacy
        .set_subject_flags(&w.owner, &rep, objected)
        .await
        .unwrap();
    let last = reports(&d.ctx).report(&w.manager, &req).await.unwrap();
    assert!(
        last.strongest
            .iter()
            .chain(&last.weakest)
            .all(|h| h.moments.is_empty())
    );
}

on_every_backend!(
    a_restricted_or_objecting_subjects_calls_are_not_quoted,
    a_later_card_does_not_hide_a_review,
    figures_match_an_independent_computation,
    a_rejection_and_an_override_change_the_figures,
    unreviewed_only_rep_gets_no_score_figures,
    only_the_right_people_may_ask,
);
