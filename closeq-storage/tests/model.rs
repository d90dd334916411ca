//! Model-based property test: 10,000 random operations by every role in
//! three workspaces, on every backend, checked against a reference model
//! built only from `closeq_core::access::permits`. Zero cross-tenant reads
//! or writes are allowed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "store-postgres")]
mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use closeq_core::ports::{CallFilter, PageRequest};
use closeq_core::testing::{Stores, World};
use closeq_core::{Action, CallId, CallStatus, Error, Scope, TeamId, UserId, WorkspaceId, access};
use closeq_storage::{InMemoryStore, SqliteStore, SubjectHasher};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const OPS: usize = 10_000;

#[derive(Clone, Copy)]
struct ModelCall {
    ws: WorkspaceId,
    rep: UserId,
    team: Option<TeamId>,
    status: u8, // 0 uploaded, 1 transcribing
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
        match rng.gen_range(0..100) {
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
                match model.get(&id).copied() {
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
    (denied, cross_checked)
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
