//! Model-based property test: 10,000 random operations by every role in
//! three workspaces, on every backend, checked against a reference model
//! built only from `closeq_core::access::permits`: calls, scorecards
//! (including cards smuggled in already reviewed), reviews (including ones
//! in someone else's name and of one's own call) and call recordings
//! (read, put, delete through an audio store over the same calls). Zero
//! cross-tenant reads or writes are allowed; refusals are counted per kind
//! and every kind must see both successes and refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "store-postgres")]
mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use closeq_core::ports::{AudioStore, ByteStream, CallFilter, PageRequest};
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{
    Action, Call, CallId, CallStatus, Error, Scope, Scorecard, ScorecardId, SystemClock, TeamId,
    UserId, Verdict, WorkspaceId, access,
};
use closeq_storage::{
    InMemoryStore, ObjectAudioStore, SigningKey, SqliteStore, SubjectHasher, UrlSigner,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const OPS: usize = 10_000;

#[derive(Clone)]
struct ModelCall {
    ws: WorkspaceId,
    rep: UserId,
    team: Option<TeamId>,
    status: u8, // 0 uploaded, 1 transcribing
    /// Its scorecards and whether each is reviewed.
    cards: Vec<(ScorecardId, bool)>,
    /// The call as stored (for cards and audio).
    call: Call,
    /// Whether the call holds its recording, and whether the object exists.
    holds_audio: bool,
    audio_object: bool,
}

/// Refusals and successes per kind of operation.
#[derive(Debug, Default)]
struct Tally {
    refused: HashMap<&'static str, usize>,
    done: HashMap<&'static str, usize>,
}

impl Tally {
    fn count(&mut self, kind: &'static str, ok: bool) {
        *if ok {
            &mut self.done
        } else {
            &mut self.refused
        }
        .entry(kind)
        .or_default() += 1;
    }
}

fn audio_key(id: CallId) -> String {
    format!("calls/{id}.wav")
}

fn body(byte: u8) -> ByteStream {
    Box::pin(futures::stream::iter(vec![Ok(Bytes::from(vec![byte; 32]))]))
}

fn allowed(scope: &Scope, c: &ModelCall, action: Action) -> bool {
    access::permits(
        scope.role,
        action,
        scope.relation_to_call(c.ws, c.rep, c.team),
    )
}

async fn run(stores: &Stores, seed: u64) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let audio = ObjectAudioStore::in_memory(
        UrlSigner::new(
            "https://x/audio",
            SigningKey::new("k", [6; 32]),
            Arc::new(SystemClock),
        ),
        stores.calls.clone(),
    );
    let mut tally = Tally::default();
    let mut versions = 0u64;
    let mut worlds = Vec::new();
    for _ in 0..3 {
        worlds.push(World::create(stores).await);
    }
    let scopes: Vec<(usize, Scope)> = worlds
        .iter()
        .enumerate()
        .flat_map(|(i, w)| {
            [
                w.owner.clone(),
                w.admin.clone(),
                w.manager.clone(),
                w.rep_a.clone(),
                w.rep_b.clone(),
            ]
            .into_iter()
            .map(move |s| (i, s))
        })
        .collect();
    let mut model: HashMap<CallId, ModelCall> = HashMap::new();
    let mut ids: Vec<CallId> = Vec::new();
    let (mut denied, mut cross_checked) = (0usize, 0usize);
    for op in 0..OPS {
        let (wi, actor) = &scopes[rng.gen_range(0..scopes.len())];
        match rng.gen_range(0..130) {
            0..=29 => {
                // Insert, sometimes for a rep of another workspace.
                let target = if rng.gen_bool(0.1) {
                    rng.gen_range(0..3)
                } else {
                    *wi
                };
                let w = &worlds[target];
                let reps = [&w.rep_a, &w.rep_b, &w.manager, &w.owner];
                let rep = reps[rng.gen_range(0..reps.len())];
                let team = [None, Some(w.team_a), Some(w.team_b)][rng.gen_range(0..3)];
                let call = w.call(rep, team, op as i64);
                let m = ModelCall {
                    ws: call.workspace_id,
                    rep: call.rep_id,
                    team,
                    status: 0,
                    cards: Vec::new(),
                    call: call.clone(),
                    holds_audio: false,
                    audio_object: false,
                };
                let ok = allowed(actor, &m, Action::UploadCall);
                let r = stores.calls.insert_call(actor, &call).await;
                assert_eq!(
                    r.is_ok(),
                    ok,
                    "insert by {:?} of {:?}: {r:?}",
                    actor.role,
                    actor.relation_to_call(m.ws, m.rep, m.team)
                );
                if ok {
                    model.insert(call.id, m);
                    ids.push(call.id);
                } else {
                    denied += 1;
                    cross_checked += usize::from(m.ws != actor.workspace_id);
                }
            }
            30..=59 if !ids.is_empty() => {
                let id = ids[rng.gen_range(0..ids.len())];
                let r = stores.calls.get_call(actor, id).await;
                match model.get(&id) {
                    Some(m) if allowed(actor, m, Action::ViewCall) => {
                        let c = r.unwrap();
                        assert_eq!((c.workspace_id, c.rep_id), (m.ws, m.rep));
                    }
                    _ => {
                        assert!(
                            matches!(r, Err(Error::NotFound { .. })),
                            "read leaked: {r:?}"
                        );
                        denied += 1;
                    }
                }
            }
            60..=74 if !ids.is_empty() => {
                let id = ids[rng.gen_range(0..ids.len())];
                let r = stores
                    .calls
                    .transition_call(actor, id, CallStatus::Transcribing)
                    .await;
                match model.get_mut(&id) {
                    Some(m) if allowed(actor, m, Action::ViewCall) => {
                        if !allowed(actor, m, Action::UploadCall) {
                            assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
                        } else if m.status == 0 {
                            r.unwrap();
                            m.status = 1;
                        } else {
                            assert!(matches!(r, Err(Error::InvalidTransition { .. })), "{r:?}");
                        }
                    }
                    _ => assert!(
                        matches!(r, Err(Error::NotFound { .. })),
                        "write leaked: {r:?}"
                    ),
                }
            }
            75..=89 if !ids.is_empty() => {
                let id = ids[rng.gen_range(0..ids.len())];
                let r = stores.calls.delete_call(actor, id).await;
                match model.get(&id).cloned() {
                    Some(m) if allowed(actor, &m, Action::ViewCall) => {
                        if allowed(actor, &m, Action::DeleteCall) {
                            r.unwrap();
                            model.remove(&id);
                        } else {
                            assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
                        }
                    }
                    _ => {
                        // Invisible or gone: a silent no-op that must not delete.
                        r.unwrap();
                    }
                }
            }
            100..=109 if !ids.is_empty() => {
                // A scorecard, sometimes smuggled in already accepted.
                let id = ids[rng.gen_range(0..ids.len())];
                let Some(m) = model.get_mut(&id) else {
                    continue;
                };
                versions += 1;
                let mut card = sample_scorecard(&m.call, 70.0, &[("budget", Verdict::Met)]);
                card.provenance.rubric_version = versions.to_string();
                let smuggled = rng.gen_bool(0.2);
                if smuggled {
                    card = forged_accept(&card, actor.user_id);
                }
                let r = stores.calls.insert_scorecard(actor, &card).await;
                let ok = allowed(actor, m, Action::UploadCall) && !smuggled;
                match (&r, allowed(actor, m, Action::ViewCall)) {
                    (Ok(()), _) => assert!(ok, "card stored by {:?}", actor.role),
                    (Err(Error::NotFound { .. }), false) => {}
                    (Err(Error::InvalidInput { .. }), true) => assert!(smuggled, "{r:?}"),
                    _ => panic!("insert_scorecard: {r:?}"),
                }
                tally.count("scorecard", r.is_ok());
                if r.is_ok() {
                    m.cards.push((card.id, false));
                }
            }
            110..=119 if !ids.is_empty() => {
                // A review, sometimes in someone else's name, of a call
                // that has a scorecard.
                let scored: Vec<CallId> = ids
                    .iter()
                    .filter(|id| model.get(id).is_some_and(|m| !m.cards.is_empty()))
                    .copied()
                    .collect();
                if scored.is_empty() {
                    continue;
                }
                let id = scored[rng.gen_range(0..scored.len())];
                let Some(m) = model.get_mut(&id) else {
                    continue;
                };
                let Some(&(card_id, reviewed)) = m.cards.last() else {
                    continue;
                };
                let owner_scope = &worlds
                    .iter()
                    .find(|w| w.workspace.id == m.ws)
                    .unwrap()
                    .owner;
                let mut card = stores
                    .calls
                    .get_scorecard(owner_scope, card_id)
                    .await
                    .unwrap();
                let in_own_name = rng.gen_bool(0.8);
                let by = if in_own_name { actor.user_id } else { m.rep };
                // A copy to review: the stored one may be reviewed already.
                card = forged_suggested(&card);
                card.accept(by, base_time()).unwrap();
                let r = stores.calls.save_review(actor, &card).await;
                let visible = allowed(actor, m, Action::ViewCall);
                let may = allowed(actor, m, Action::ReviewScorecard);
                match &r {
                    Ok(()) => assert!(
                        may && in_own_name && !reviewed,
                        "review by {:?}",
                        actor.role
                    ),
                    Err(Error::NotFound { .. }) => assert!(!visible, "{r:?}"),
                    Err(Error::Forbidden { .. }) => assert!(visible && (!may || !in_own_name)),
                    Err(Error::Conflict { .. }) => assert!(may && in_own_name && reviewed),
                    Err(e) => panic!("save_review: {e:?}"),
                }
                tally.count("review", r.is_ok());
                if r.is_ok() {
                    m.cards.last_mut().unwrap().1 = true;
                }
            }
            120..=129 if !ids.is_empty() => {
                // Mostly calls with a recording, so reads can succeed.
                let recorded: Vec<CallId> = ids
                    .iter()
                    .filter(|id| model.get(id).is_some_and(|m| m.holds_audio))
                    .copied()
                    .collect();
                let id = if !recorded.is_empty() && rng.gen_bool(0.6) {
                    recorded[rng.gen_range(0..recorded.len())]
                } else {
                    ids[rng.gen_range(0..ids.len())]
                };
                let Some(m) = model.get_mut(&id) else {
                    continue;
                };
                let key = audio_key(id);
                let visible = allowed(actor, m, Action::ViewCall);
                match rng.gen_range(0..6) {
                    0 | 1 => {
                        let r = audio.put(actor, &m.call, &key, "audio/wav", body(1)).await;
                        match &r {
                            Ok(a) => {
                                assert!(allowed(actor, m, Action::UploadCall) && !m.audio_object);
                                m.audio_object = true;
                                let mut c = stores.calls.get_call(actor, id).await.unwrap();
                                c.audio = Some(a.clone());
                                stores.calls.update_call(actor, &c).await.unwrap();
                                m.call = c;
                                m.holds_audio = true;
                            }
                            Err(Error::AlreadyExists { .. }) => {
                                assert!(allowed(actor, m, Action::UploadCall) && m.audio_object)
                            }
                            Err(Error::NotFound { .. }) => assert!(actor.workspace_id != m.ws),
                            Err(Error::Forbidden { .. }) => {
                                assert!(actor.workspace_id == m.ws && !visible)
                            }
                            Err(e) => panic!("put: {e:?}"),
                        }
                        tally.count("audio put", r.is_ok());
                    }
                    2..=4 => {
                        let r = audio.get(actor, id, &key).await.map(|_| ());
                        let ok = visible && m.holds_audio && m.audio_object;
                        match &r {
                            Ok(()) => assert!(ok),
                            Err(Error::NotFound { .. }) => assert!(!ok),
                            Err(e) => panic!("get: {e:?}"),
                        }
                        tally.count("audio get", r.is_ok());
                    }
                    _ => {
                        let r = audio.delete(actor, id, &key).await;
                        r.as_ref().unwrap();
                        if visible && allowed(actor, m, Action::DeleteCall) {
                            m.audio_object = false;
                            tally.count("audio delete", true);
                        } else {
                            tally.count("audio delete", false);
                        }
                    }
                }
                // Whatever happened, the object is what the model says.
                let owner_scope = &worlds
                    .iter()
                    .find(|w| w.workspace.id == m.ws)
                    .unwrap()
                    .owner;
                assert_eq!(
                    audio.exists(owner_scope, id, &key).await.unwrap(),
                    m.audio_object,
                    "audio object after op {op}"
                );
            }
            _ => {
                if op % 25 != 0 {
                    continue;
                }
                let mut seen = BTreeSet::new();
                let mut page = PageRequest::first(500);
                loop {
                    let p = stores
                        .calls
                        .list_calls(actor, &CallFilter::default(), &page)
                        .await
                        .unwrap();
                    seen.extend(p.items.iter().map(|c| c.id));
                    match p.next {
                        Some(c) => page.after = Some(c),
                        None => break,
                    }
                }
                let expected: BTreeSet<CallId> = model
                    .iter()
                    .filter(|(_, m)| allowed(actor, m, Action::ListCalls))
                    .map(|(id, _)| *id)
                    .collect();
                assert_eq!(
                    seen, expected,
                    "list for {:?} differs from the model",
                    actor.role
                );
            }
        }
    }
    // Every call the model holds still exists, in its own workspace only.
    for (id, m) in &model {
        let owner = &worlds
            .iter()
            .find(|w| w.workspace.id == m.ws)
            .unwrap()
            .owner;
        assert_eq!(
            stores
                .calls
                .get_call(owner, *id)
                .await
                .unwrap()
                .workspace_id,
            m.ws
        );
    }
    eprintln!("seed {seed}: {tally:?}");
    for kind in [
        "scorecard",
        "review",
        "audio put",
        "audio get",
        "audio delete",
    ] {
        let (done, refused) = (
            tally.done.get(kind).copied().unwrap_or(0),
            tally.refused.get(kind).copied().unwrap_or(0),
        );
        assert!(
            done >= 10 && refused >= 10,
            "{kind}: {done} done, {refused} refused: {tally:?}"
        );
        denied += refused;
    }
    (denied, cross_checked)
}

/// `card` with its review state set to accepted by `by`, the way a client
/// can build one through `Deserialize`.
fn forged_accept(card: &Scorecard, by: UserId) -> Scorecard {
    let mut v = serde_json::to_value(card).unwrap();
    v["review"] = serde_json::json!({"state": "accepted", "by": by, "at": base_time()});
    serde_json::from_value(v).unwrap()
}

/// `card` as an unreviewed suggestion again (a client's copy).
fn forged_suggested(card: &Scorecard) -> Scorecard {
    let mut v = serde_json::to_value(card).unwrap();
    v["review"] = serde_json::json!({"state": "suggested"});
    serde_json::from_value(v).unwrap()
}

fn hasher() -> SubjectHasher {
    SubjectHasher::new([3; 32], "44")
}

#[tokio::test]
async fn memory_agrees_with_the_model() {
    let s = Arc::new(InMemoryStore::new(hasher()));
    let (denied, cross) = run(&Stores::of(s), 1).await;
    assert!(
        denied > 1000 && cross > 50,
        "the run must exercise refusals: {denied} / {cross}"
    );
}

#[tokio::test]
async fn sqlite_agrees_with_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(
        SqliteStore::open(dir.path().join("m.db"), hasher())
            .await
            .unwrap(),
    );
    let (denied, cross) = run(&Stores::of(s), 2).await;
    assert!(denied > 1000 && cross > 50, "{denied} / {cross}");
}

#[cfg(feature = "store-postgres")]
#[tokio::test]
async fn postgres_agrees_with_the_model() {
    let Some(db) = support::db() else { return };
    let s = Arc::new(
        closeq_storage::PostgresStore::connect(&db.runtime_url, hasher())
            .await
            .unwrap(),
    );
    let (denied, cross) = run(&Stores::of(s), 3).await;
    assert!(denied > 1000 && cross > 50, "{denied} / {cross}");
}
