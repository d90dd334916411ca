//! The termination purge: `delete_workspace` removes everything of one
//! workspace, leaves a receipt, and touches no other workspace.

use crate::error::Error;
use crate::ports::{CallFilter, PageRequest};
use crate::purge::{PurgeReason, PurgeReceipt};
use crate::testing::Outcome;
use crate::testing::every_record::{every_kind_of_record, unique_hash};
use crate::testing::world::{Stores, World, base_time};

/// What a workspace's owner can read back, for before/after comparisons.
pub async fn snapshot(s: &Stores, w: &World) -> String {
    let o = &w.owner;
    let calls = s
        .calls
        .list_calls(o, &CallFilter::default(), &PageRequest::first(100))
        .await
        .expect("calls");
    let mut out = serde_json::to_string(&calls.items).expect("json");
    for c in &calls.items {
        let t = s.calls.get_transcript(o, c.id).await.expect("transcript");
        let cards = s.calls.list_scorecards(o, c.id).await.expect("cards");
        let consent = s.privacy.get_consent(o, c.id).await.expect("consent");
        out += &serde_json::to_string(&(t, cards, consent)).expect("json");
    }
    out += &serde_json::to_string(&(
        s.workspaces.get_workspace(o).await.expect("ws"),
        s.workspaces.list_members(o).await.expect("members"),
        s.workspaces.list_teams(o).await.expect("teams"),
        s.workspaces.list_api_keys(o).await.expect("keys"),
        s.workspaces
            .list_integrations(o)
            .await
            .expect("integrations"),
        s.workspaces.list_audit(o, 0, 1000).await.expect("audit"),
        s.privacy.list_requests(o, 1000).await.expect("requests"),
    ))
    .expect("json");
    out += &serde_json::to_string(
        &s.workspaces
            .list_access(o, &crate::AccessQuery::first(1000))
            .await
            .expect("access log"),
    )
    .expect("json");
    out
}

/// Only an owner purges; afterwards nothing of the workspace is found,
/// by scope or by secret hash; a second purge is `NotFound`; another
/// workspace reads back exactly as before.
pub async fn delete_workspace(s: &Stores, _: &()) -> Outcome {
    let (a, b) = (World::create(s).await, World::create(s).await);
    let filled = every_kind_of_record(s, &a).await;
    every_kind_of_record(s, &b).await;
    let before_b = snapshot(s, &b).await;
    let receipt = PurgeReceipt::new(PurgeReason::OwnerRequest, base_time(), 2, 0);
    for who in [&a.admin, &a.manager, &a.rep_a] {
        let r = s.workspaces.delete_workspace(who, &receipt).await;
        assert!(
            matches!(r, Err(Error::Forbidden { .. })),
            "{:?} purged: {r:?}",
            who.role
        );
    }
    assert!(
        s.workspaces.get_workspace(&a.owner).await.is_ok(),
        "a refused purge changes nothing"
    );
    // Ending the subscription schedules the purge: owners only. An admin
    // who backdated the end would have the next sweep delete everything.
    let mut ended = s
        .workspaces
        .get_workspace(&a.owner)
        .await
        .expect("ws")
        .settings;
    ended.subscription = crate::SubscriptionState::Terminated { at: base_time() };
    let r = s.workspaces.update_settings(&a.admin, &ended).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    let mut other = s
        .workspaces
        .get_workspace(&a.owner)
        .await
        .expect("ws")
        .settings;
    other.ai_analysis_enabled = !other.ai_analysis_enabled;
    s.workspaces
        .update_settings(&a.admin, &other)
        .await
        .expect("admins change the other settings");
    // A restriction for legal claims holds the purge back, in the store
    // itself (whoever calls it).
    let held = crate::Subject::Email(filled.calls[0].client.email.clone().expect("email"));
    let hold = crate::SubjectFlags {
        restricted: true,
        objected: false,
        legal_hold: true,
    };
    s.privacy
        .set_subject_flags(&a.admin, &held, hold)
        .await
        .expect("hold");
    let r = s.workspaces.delete_workspace(&a.owner, &receipt).await;
    assert!(
        matches!(&r, Err(Error::Compliance { rule, .. }) if rule == "GDPR Art. 18(1)(c)"),
        "{r:?}"
    );
    s.workspaces.get_workspace(&a.owner).await.expect("kept");
    s.privacy
        .set_subject_flags(&a.admin, &held, crate::SubjectFlags::default())
        .await
        .expect("lift");
    s.workspaces
        .delete_workspace(&a.owner, &receipt)
        .await
        .expect("purge");
    assert!(matches!(
        s.workspaces.get_workspace(&a.owner).await,
        Err(Error::NotFound { .. })
    ));
    for c in &filled.calls {
        assert!(matches!(
            s.calls.get_call(&a.owner, c.id).await,
            Err(Error::NotFound { .. })
        ));
    }
    assert!(
        s.calls
            .list_calls(&a.owner, &CallFilter::default(), &PageRequest::first(10))
            .await
            .map(|p| p.items.is_empty())
            .unwrap_or(true)
    );
    assert!(matches!(
        s.workspaces
            .find_api_key(unique_hash(a.workspace.id, 1))
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        s.workspaces
            .find_invitation(unique_hash(a.workspace.id, 2))
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        s.workspaces
            .list_members(&a.owner)
            .await
            .map(|m| m.is_empty())
            .unwrap_or(true)
    );
    assert!(
        s.workspaces
            .list_audit(&a.owner, 0, 100)
            .await
            .map(|l| l.is_empty())
            .unwrap_or(true)
    );
    assert!(
        s.workspaces
            .list_access(&a.owner, &crate::AccessQuery::first(100))
            .await
            .map(|l| l.is_empty())
            .unwrap_or(true)
    );
    assert!(
        s.privacy
            .list_requests(&a.owner, 100)
            .await
            .map(|l| l.is_empty())
            .unwrap_or(true)
    );
    assert!(matches!(
        s.workspaces.delete_workspace(&a.owner, &receipt).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(snapshot(s, &b).await, before_b, "another workspace changed");
    Outcome::Passed
}

/// The technical-log rule: audit records made at the cutoff or earlier go
/// (−1 s and 0), one a second later stays (+1 s); owners and admins only;
/// other workspaces untouched.
pub async fn expire_audit(s: &Stores, _: &()) -> Outcome {
    let (a, b) = (World::create(s).await, World::create(s).await);
    // Relative to the stores' own clock, which bounds the cutoff.
    let cutoff = chrono::Utc::now() - chrono::Duration::days(100);
    for w in [&a, &b] {
        for offset in [-1, 0, 1] {
            let record = crate::AuditRecord {
                seq: 0,
                workspace_id: w.workspace.id,
                at: cutoff + chrono::Duration::seconds(offset),
                actor: Some(w.owner.user_id),
                action: "settings.changed".into(),
                target: None,
                details: serde_json::json!({ "offset": offset }),
            };
            s.workspaces
                .append_audit(&w.owner, &record)
                .await
                .expect("append");
        }
    }
    for who in [&a.manager, &a.rep_a] {
        let r = s.workspaces.expire_audit(who, cutoff).await;
        assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    }
    let n = s
        .workspaces
        .expire_audit(&a.admin, cutoff)
        .await
        .expect("expire");
    assert_eq!(n, 2);
    let left = s
        .workspaces
        .list_audit(&a.owner, 0, 100)
        .await
        .expect("list");
    assert_eq!(left.len(), 2, "the young record and the expiry's own");
    assert_eq!(left[0].details["offset"], 1);
    assert_eq!(left[1].action, "retention.technical_logs");
    assert_eq!(left[1].details["deleted"], 2);
    assert!(left[1].seq > left[0].seq);

    assert_eq!(
        s.workspaces
            .expire_audit(&a.owner, cutoff)
            .await
            .expect("again"),
        0
    );
    // Sequence numbers are never reused after an expiry.
    let next = crate::AuditRecord {
        seq: 0,
        workspace_id: a.workspace.id,
        at: base_time(),
        actor: Some(a.owner.user_id),
        action: "settings.changed".into(),
        target: None,
        details: serde_json::json!({}),
    };
    let seq = s
        .workspaces
        .append_audit(&a.owner, &next)
        .await
        .expect("append");
    let all = s
        .workspaces
        .list_audit(&a.owner, 0, 100)
        .await
        .expect("list");
    assert_eq!(
        all.iter().filter(|r| r.seq == seq).count(),
        1,
        "seq {seq} reused"
    );
    // Nobody empties the log of recent actions, not even an owner: a
    // cutoff of now removes nothing younger than 90 days.
    let young = crate::AuditRecord {
        at: chrono::Utc::now() - chrono::Duration::days(89),
        ..next
    };
    s.workspaces
        .append_audit(&a.owner, &young)
        .await
        .expect("append");
    s.workspaces
        .expire_audit(&a.owner, chrono::Utc::now())
        .await
        .expect("now");
    let all = s
        .workspaces
        .list_audit(&a.owner, 0, 100)
        .await
        .expect("list");
    assert!(
        all.iter().any(|r| r.at == young.at),
        "a record younger than 90 days was expired"
    );
    assert_eq!(
        s.workspaces
            .list_audit(&b.owner, 0, 100)
            .await
            .expect("b")
            .len(),
        3
    );
    Outcome::Passed
}
