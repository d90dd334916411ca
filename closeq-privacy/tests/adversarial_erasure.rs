//! Erasing one client must not erase other people. Before the fix every
//! capitalised part of the subject's name (three letters or more) was
//! erased in every call — "Anna" in a call about another Anna, "Schmidt"
//! in "Schmidt Logistics" — and only the first e-mail address and phone
//! number found on the subject's calls were looked for.
//!
//! Measured on the labelled set `tests/fixtures/erasure_mentions_labelled.tsv`
//! (synthetic, hand-written): every marked mention is checked after a real
//! erasure through the stores; the figures go to the crate README. The
//! test fails below its floors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use closeq_core::ports::CallStore;
use closeq_core::testing::{Stores, World};
use closeq_core::{
    Call, EmailAddress, ManualClock, PhoneNumber, RoleDecision, Speaker, SpeakerId, SpeakerRole,
    Subject, Transcript, Utterance, UtteranceId,
};
use closeq_privacy::erasure::{Eraser, ErasureMode};
use closeq_storage::{InMemoryStore, ObjectAudioStore, SigningKey, SubjectHasher, UrlSigner};

const SUBJECT_NAME: &str = "Anna Schmidt";
const SUBJECT_EMAIL: &str = "anna.schmidt@kunde-eins.example";
const SUBJECT_PHONES: [&str; 2] = ["+49 30 1234 5601", "+49 171 555 0199"];
const ERASED: &str = "[ERASED]";

/// A piece of a labelled utterance.
#[derive(Debug, Clone)]
enum Piece {
    Plain(String),
    Mention { text: String, subject: bool },
}

fn parse_line(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("[[") {
        out.push(Piece::Plain(rest[..i].to_owned()));
        let end = rest[i..].find("]]").unwrap() + i;
        let inner = &rest[i + 2..end];
        let (tag, mention) = inner.split_once(':').unwrap();
        out.push(Piece::Mention {
            text: mention.to_owned(),
            subject: match tag {
                "S" => true,
                "O" => false,
                t => panic!("unknown tag {t}"),
            },
        });
        rest = &rest[end + 2..];
    }
    out.push(Piece::Plain(rest.to_owned()));
    out
}

fn plain_text(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Plain(t) | Piece::Mention { text: t, .. } => t.as_str(),
        })
        .collect()
}

/// The labelled calls, in file order: call label → utterances.
fn labelled() -> Vec<(String, Vec<Vec<Piece>>)> {
    let text = include_str!("fixtures/erasure_mentions_labelled.tsv");
    let mut calls: Vec<(String, Vec<Vec<Piece>>)> = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (call, utterance) = line.split_once('\t').unwrap();
        match calls.last_mut() {
            Some((c, us)) if c == call => us.push(parse_line(utterance)),
            _ => calls.push((call.to_owned(), vec![parse_line(utterance)])),
        }
    }
    calls
}

fn transcript(utterances: &[String]) -> Transcript {
    let mut t = Transcript::empty(utterances.len() as u64 * 1_000);
    for (i, role) in [SpeakerRole::Rep, SpeakerRole::Client]
        .into_iter()
        .enumerate()
    {
        t.speakers.push(Speaker {
            id: SpeakerId(i as u32),
            label: format!("spk_{i}").into(),
            role,
            decided_by: RoleDecision::Provided,
            name: None,
        });
    }
    for (i, text) in utterances.iter().enumerate() {
        t.utterances.push(Utterance {
            id: UtteranceId(i as u32),
            speaker: SpeakerId((i % 2) as u32),
            start_ms: i as u64 * 1_000,
            end_ms: i as u64 * 1_000 + 900,
            text: text.clone().into(),
            words: vec![],
            channel: None,
        });
    }
    t
}

/// What happened to one mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Erased,
    Kept,
    /// Part of it erased: a leak if it was the subject, harm if not.
    Mangled,
}

/// Walks `actual` along `pieces`: plain text must be unchanged, each
/// mention is either itself or `[ERASED]`.
fn fates(pieces: &[Piece], actual: &str) -> Result<Vec<(bool, String, Fate)>, String> {
    let mut at = 0;
    let mut out = Vec::new();
    for (k, p) in pieces.iter().enumerate() {
        let rest = &actual[at..];
        match p {
            Piece::Plain(t) => {
                if !rest.starts_with(t.as_str()) {
                    return Err(format!("unlabelled text changed near {t:?} in {actual:?}"));
                }
                at += t.len();
            }
            Piece::Mention { text, subject } => {
                // The plain text that must follow, wherever this mention ends.
                let next = match pieces.get(k + 1) {
                    Some(Piece::Plain(n)) => n.as_str(),
                    _ => "",
                };
                let followed = |len: usize| rest.get(len..).is_some_and(|r| r.starts_with(next));
                let fate = if rest.starts_with(ERASED) && followed(ERASED.len()) {
                    at += ERASED.len();
                    Fate::Erased
                } else if rest.starts_with(text.as_str()) && followed(text.len()) {
                    at += text.len();
                    Fate::Kept
                } else {
                    // Part of it erased: skip to where the plain text resumes.
                    let skip = if next.is_empty() {
                        rest.len()
                    } else {
                        rest.find(next)
                            .ok_or_else(|| format!("lost track in {actual:?}"))?
                    };
                    at += skip;
                    Fate::Mangled
                };
                out.push((*subject, text.clone(), fate));
            }
        }
    }
    Ok(out)
}

fn kind_of(mention: &str) -> &'static str {
    if mention.contains('@') {
        "e-mail"
    } else if mention.chars().any(|c| c.is_ascii_digit()) || mention.starts_with("oh ") {
        "phone"
    } else {
        "name"
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
    kept_others: u32,
}

impl Counts {
    fn precision(self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }
    fn recall(self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
    fn mentions(self) -> u32 {
        self.tp + self.fp + self.fn_ + self.kept_others
    }
}

struct Setup {
    store: Arc<InMemoryStore>,
    w: World,
    eraser: Eraser,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(InMemoryStore::new(SubjectHasher::new([5; 32], "49")));
    let w = World::create(&Stores::of(store.clone())).await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ));
    let audio = Arc::new(
        ObjectAudioStore::local(
            &dir.path().join("audio"),
            UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone()),
            store.clone(),
        )
        .unwrap(),
    );
    Setup {
        eraser: Eraser::new(store.clone(), store.clone(), store.clone(), audio, clock),
        store,
        w,
        _dir: dir,
    }
}

/// Stores a call of `rep` with `client` contact details and `utterances`.
async fn call_with(
    s: &Setup,
    minute: i64,
    client: (&str, &str, &str),
    utterances: &[String],
) -> Call {
    let mut c = s.w.call(&s.w.rep_b, Some(s.w.team_b), minute);
    c.client.name = Some(client.0.to_owned().into());
    c.client.email = Some(EmailAddress::parse(client.1).unwrap());
    c.client.phone = Some(PhoneNumber::parse(client.2).unwrap());
    s.store.insert_call(&s.w.owner, &c).await.unwrap();
    s.store
        .put_transcript(&s.w.owner, c.id, &transcript(utterances))
        .await
        .unwrap();
    c
}

/// Sets up the subject's two calls and the labelled calls, erases the
/// subject, and counts the fate of every labelled mention by kind.
async fn measure() -> BTreeMap<&'static str, Counts> {
    let s = setup().await;
    let (store, w) = (&s.store, &s.w);
    // The subject's own calls: one e-mail, two phone numbers.
    for (i, phone) in SUBJECT_PHONES.iter().enumerate() {
        let mut c = w.call(&w.rep_a, Some(w.team_a), i as i64);
        c.client.name = Some(SUBJECT_NAME.to_owned().into());
        c.client.email = Some(EmailAddress::parse(SUBJECT_EMAIL).unwrap());
        c.client.phone = Some(PhoneNumber::parse(phone).unwrap());
        store.insert_call(&w.owner, &c).await.unwrap();
        let t = transcript(&[format!("Hello, {SUBJECT_NAME} speaking.")]);
        store.put_transcript(&w.owner, c.id, &t).await.unwrap();
    }
    // Everyone else's calls, as labelled.
    let mut labelled_calls: Vec<(Call, Vec<Vec<Piece>>)> = Vec::new();
    for (n, (_, utterances)) in labelled().into_iter().enumerate() {
        let c = w.call(&w.rep_b, Some(w.team_b), 100 + n as i64);
        store.insert_call(&w.owner, &c).await.unwrap();
        let texts: Vec<String> = utterances.iter().map(|p| plain_text(p)).collect();
        store
            .put_transcript(&w.owner, c.id, &transcript(&texts))
            .await
            .unwrap();
        labelled_calls.push((c, utterances));
    }
    let subject = Subject::Email(EmailAddress::parse(SUBJECT_EMAIL).unwrap());
    s.eraser
        .erase(&w.owner, &subject, ErasureMode::Anonymize)
        .await
        .unwrap();

    let mut counts: BTreeMap<&'static str, Counts> = BTreeMap::new();
    let mut problems = Vec::new();
    for (call, utterances) in &labelled_calls {
        let t = store.get_transcript(&w.owner, call.id).await.unwrap();
        for (pieces, u) in utterances.iter().zip(&t.utterances) {
            let fates = match fates(pieces, u.text.as_str()) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            for (subject, text, fate) in fates {
                let c = counts.entry(kind_of(&text)).or_default();
                match (subject, fate) {
                    (true, Fate::Erased) => c.tp += 1,
                    (true, _) => c.fn_ += 1,
                    (false, Fate::Kept) => c.kept_others += 1,
                    (false, _) => c.fp += 1,
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    counts
}

#[tokio::test]
async fn erasure_finds_the_subject_and_spares_same_name_strangers() {
    let by_kind = measure().await;
    let mut total = Counts::default();
    println!("| kind | precision | recall | tp / fp / fn | mentions |");
    println!("|---|---|---|---|---|");
    for (kind, c) in &by_kind {
        println!(
            "| {kind} | {:.3} | {:.3} | {} / {} / {} | {} |",
            c.precision(),
            c.recall(),
            c.tp,
            c.fp,
            c.fn_,
            c.mentions()
        );
        total.tp += c.tp;
        total.fp += c.fp;
        total.fn_ += c.fn_;
        total.kept_others += c.kept_others;
    }
    println!(
        "| **overall** | **{:.3}** | **{:.3}** | {} / {} / {} | {} |",
        total.precision(),
        total.recall(),
        total.tp,
        total.fp,
        total.fn_,
        total.mentions()
    );
    assert!(total.mentions() >= 100, "{}", total.mentions());
    // Floors a little under the measured figures (README).
    assert!(
        total.precision() >= 0.97,
        "precision {:.3}",
        total.precision()
    );
    assert!(total.recall() >= 0.95, "recall {:.3}", total.recall());
    let names = by_kind["name"];
    assert!(
        names.precision() >= 0.97,
        "name precision {:.3}",
        names.precision()
    );
    // Every e-mail address and phone number of the subject, not the first.
    for kind in ["e-mail", "phone"] {
        let c = by_kind[kind];
        assert_eq!((c.fp, c.fn_), (0, 0), "{kind}: {c:?}");
    }
}

#[tokio::test]
async fn every_email_address_of_a_subject_found_by_phone_is_erased() {
    // Found by phone, the subject used two e-mail addresses; the old
    // eraser looked for the first one only.
    let s = setup().await;
    let phone = "+49 30 1234 5601";
    let emails = ["anna@kunde-eins.example", "a.schmidt@private.example"];
    for (i, e) in emails.iter().enumerate() {
        call_with(&s, i as i64, (SUBJECT_NAME, e, phone), &["Hi.".into()]).await;
    }
    let other = call_with(
        &s,
        10,
        ("Jonas Weber", "jonas@weber.example", "+49 40 5555 0100"),
        &[
            format!("Write to {} or {}.", emails[0], emails[1]),
            "Or to jonas@weber.example.".into(),
        ],
    )
    .await;
    let subject = Subject::Phone(PhoneNumber::parse(phone).unwrap());
    s.eraser
        .erase(&s.w.owner, &subject, ErasureMode::Delete)
        .await
        .unwrap();
    let t = s.store.get_transcript(&s.w.owner, other.id).await.unwrap();
    assert_eq!(
        t.utterances[0].text.as_str(),
        "Write to [ERASED] or [ERASED]."
    );
    assert_eq!(t.utterances[1].text.as_str(), "Or to jonas@weber.example.");
}

#[tokio::test]
async fn speaker_names_and_labels_naming_the_subject_are_erased() {
    // A subtitle import names speakers after their voice tags; the old
    // eraser rewrote the utterances and left the speaker's name.
    let s = setup().await;
    call_with(
        &s,
        0,
        (SUBJECT_NAME, SUBJECT_EMAIL, SUBJECT_PHONES[0]),
        &["Hi.".into()],
    )
    .await;
    let other = call_with(
        &s,
        10,
        ("Jonas Weber", "jonas@weber.example", "+49 40 5555 0100"),
        &["Hello.".into(), "Hi Jonas.".into()],
    )
    .await;
    let mut t = s.store.get_transcript(&s.w.owner, other.id).await.unwrap();
    t.speakers[0].label = SUBJECT_NAME.to_owned().into();
    t.speakers[0].name = Some(SUBJECT_NAME.to_owned().into());
    t.speakers[1].label = "Jonas Weber".to_owned().into();
    t.speakers[1].name = Some("Jonas Weber".to_owned().into());
    s.store
        .put_transcript(&s.w.owner, other.id, &t)
        .await
        .unwrap();
    let subject = Subject::Email(EmailAddress::parse(SUBJECT_EMAIL).unwrap());
    let report = s
        .eraser
        .erase(&s.w.owner, &subject, ErasureMode::Delete)
        .await
        .unwrap();
    assert_eq!(report.mentions_redacted_in, 1);
    let t = s.store.get_transcript(&s.w.owner, other.id).await.unwrap();
    assert_eq!(t.speakers[0].label.as_str(), ERASED);
    assert_eq!(
        t.speakers[0].name.as_deref().map(String::as_str),
        Some(ERASED)
    );
    assert_eq!(t.speakers[1].label.as_str(), "Jonas Weber");
    assert_eq!(t.utterances[1].text.as_str(), "Hi Jonas.");
}

#[tokio::test]
async fn erasing_a_rep_does_not_erase_their_clients_elsewhere() {
    // The old eraser took the clients' names, e-mail addresses and phones
    // from the rep's calls and erased them across the workspace.
    let s = setup().await;
    let mut reps_call = s.w.call(&s.w.rep_a, Some(s.w.team_a), 0);
    reps_call.client.name = Some(SUBJECT_NAME.to_owned().into());
    reps_call.client.email = Some(EmailAddress::parse(SUBJECT_EMAIL).unwrap());
    s.store.insert_call(&s.w.owner, &reps_call).await.unwrap();
    let texts = [format!("{SUBJECT_NAME} ({SUBJECT_EMAIL}) called back.")];
    let other = call_with(
        &s,
        10,
        ("Jonas Weber", "jonas@weber.example", "+49 40 5555 0100"),
        &texts,
    )
    .await;
    let rep = Subject::User(s.w.rep_a.user_id);
    let report = s
        .eraser
        .erase(&s.w.owner, &rep, ErasureMode::Anonymize)
        .await
        .unwrap();
    assert_eq!((report.calls, report.mentions_redacted_in), (1, 0));
    let t = s.store.get_transcript(&s.w.owner, other.id).await.unwrap();
    assert_eq!(t.utterances[0].text.as_str(), texts[0]);
}
