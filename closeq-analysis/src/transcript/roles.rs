//! Deciding who is the rep and who is the client.
//!
//! In order, the first rule that applies decides:
//!
//! 1. **Channel map.** With `rep_channel` set and channel information in the
//!    source, speakers on that channel are the rep and speakers on any other
//!    channel the client ([`RoleDecision::ChannelMap`]).
//! 2. **Known rep.** With `rep_speaker` set, the speaker whose label matches
//!    (same text, or a bare number equal to the label's index) or whose name
//!    matches is the rep ([`RoleDecision::KnownRep`]); the other speakers are
//!    the client by rule `not-the-known-rep` (confidence 0.9 with exactly
//!    two speakers, 0.6 with more).
//! 3. **Heuristic `rep-signals`.** Each speaker scores one point per question
//!    asked, two per sales phrase ("my name is", "calling from", "thanks for
//!    taking the time", "our product", "our platform", "our solution", "we
//!    help", "pricing", "a demo", "next steps", "follow up", "reaching out"),
//!    and one for speaking first. The top scorer is the rep with confidence
//!    `0.5 + 0.45 × (top − second) / (top + second)`; the others are the
//!    client with the same confidence. A tie, or a score of zero, decides
//!    nothing.
//!
//! Speakers the source marks unknown (`UU`) and speakers no rule decides
//! keep [`SpeakerRole::Unknown`] / [`RoleDecision::Undecided`], and the
//! transcript carries a warning. Roles the source provided are kept.

use closeq_core::{RoleDecision, SpeakerRole, Transcript, TranscriptWarning};

use super::ImportOptions;
use super::labels::SpeakerLabel;

const SALES_PHRASES: [&str; 12] = [
    "my name is",
    "calling from",
    "thanks for taking the time",
    "our product",
    "our platform",
    "our solution",
    "we help",
    "pricing",
    "a demo",
    "next steps",
    "follow up",
    "reaching out",
];

fn warn_once(t: &mut Transcript, w: TranscriptWarning) {
    if !t.warnings.iter().any(|x| x.code == w.code) {
        t.warnings.push(w);
    }
}

fn undecided(t: &Transcript) -> Vec<usize> {
    t.speakers
        .iter()
        .enumerate()
        .filter(|(_, s)| s.decided_by == RoleDecision::Undecided)
        .map(|(i, _)| i)
        .collect()
}

/// Applies the rules above to every speaker still undecided.
pub(crate) fn assign(
    t: &mut Transcript,
    labels: &[SpeakerLabel],
    channels: &[Option<u8>],
    opts: &ImportOptions,
) {
    let known = |i: usize| !labels.get(i).is_some_and(|l| l.unknown);

    if let Some(rep_channel) = opts.rep_channel {
        for i in undecided(t) {
            if let Some(ch) = channels.get(i).copied().flatten() {
                let s = &mut t.speakers[i];
                s.role = if ch == rep_channel {
                    SpeakerRole::Rep
                } else {
                    SpeakerRole::Client
                };
                s.decided_by = RoleDecision::ChannelMap { channel: ch };
            }
        }
    }

    if let Some(rep) = opts.rep_speaker.as_deref() {
        let pending = undecided(t);
        let mut found = false;
        for &i in &pending {
            let by_label = labels.get(i).is_some_and(|l| l.matches(rep));
            let by_name = t.speakers[i]
                .name
                .as_ref()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(rep.trim()));
            if by_label || by_name {
                let s = &mut t.speakers[i];
                s.role = SpeakerRole::Rep;
                s.decided_by = RoleDecision::KnownRep {
                    matched_on: if by_label { "label" } else { "name" }.into(),
                };
                found = true;
            }
        }
        if found {
            let others: Vec<usize> = undecided(t).into_iter().filter(|&i| known(i)).collect();
            let confidence = if t.speakers.len() == 2 { 0.9 } else { 0.6 };
            for i in others {
                let s = &mut t.speakers[i];
                s.role = SpeakerRole::Client;
                s.decided_by = RoleDecision::Heuristic {
                    rule: "not-the-known-rep".into(),
                    confidence,
                };
            }
        } else {
            warn_once(
                t,
                TranscriptWarning::new(
                    "rep_speaker_not_found",
                    "no speaker matches the given rep label or name",
                ),
            );
        }
    }

    let pending: Vec<usize> = undecided(t).into_iter().filter(|&i| known(i)).collect();
    let any_decided = t
        .speakers
        .iter()
        .any(|s| s.decided_by != RoleDecision::Undecided);
    if pending.len() >= 2 && !any_decided {
        heuristic(t, &pending);
    }

    let unknown = t
        .speakers
        .iter()
        .filter(|s| s.role == SpeakerRole::Unknown)
        .count();
    if unknown > 0 && !t.utterances.is_empty() {
        warn_once(
            t,
            TranscriptWarning::new(
                "roles_undecided",
                format!(
                    "{unknown} speaker(s) have no decided role; pass a rep channel or rep speaker"
                ),
            ),
        );
    } else if t
        .speakers
        .iter()
        .any(|s| matches!(s.decided_by, RoleDecision::Heuristic { .. }))
    {
        warn_once(
            t,
            TranscriptWarning::new(
                "roles_guessed",
                "speaker roles were decided by a heuristic; see each speaker's decided_by",
            ),
        );
    }
}

fn heuristic(t: &mut Transcript, pending: &[usize]) {
    let first_speaker = t.utterances.first().map(|u| u.speaker);
    let mut scores = vec![0.0f64; t.speakers.len()];
    for u in &t.utterances {
        let i = u.speaker.0 as usize;
        if !pending.contains(&i) {
            continue;
        }
        let lower = u.text.to_lowercase();
        scores[i] += lower.matches('?').count() as f64;
        scores[i] += 2.0
            * SALES_PHRASES
                .iter()
                .map(|p| lower.matches(p).count() as f64)
                .sum::<f64>();
    }
    if let Some(f) = first_speaker
        && let Some(s) = scores.get_mut(f.0 as usize)
    {
        *s += 1.0;
    }
    let mut ranked: Vec<usize> = pending.to_vec();
    ranked.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let (top, second) = (scores[ranked[0]], scores[ranked[1]]);
    if top <= 0.0 || top == second {
        return;
    }
    let confidence = (0.5 + 0.45 * (top - second) / (top + second)) as f32;
    for (rank, &i) in ranked.iter().enumerate() {
        let s = &mut t.speakers[i];
        s.role = if rank == 0 {
            SpeakerRole::Rep
        } else {
            SpeakerRole::Client
        };
        s.decided_by = RoleDecision::Heuristic {
            rule: if rank == 0 {
                "rep-signals"
            } else {
                "not-the-likely-rep"
            }
            .into(),
            confidence,
        };
    }
}
