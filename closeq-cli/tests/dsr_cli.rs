//! `closeq dsr export` on the local installation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::process::Output;

use support::{closeq, ok};

#[test]
fn export_a_rep_after_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    ok(&closeq(dir.path(), &["demo"]));
    let defaults: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("defaults.json")).unwrap()).unwrap();
    let owner = defaults["owner_id"].as_str().unwrap();

    let v: serde_json::Value = serde_json::from_str(&ok(&closeq(
        dir.path(),
        &["dsr", "export", "--user", owner],
    )))
    .unwrap();
    assert_eq!(v["version"], 3);
    assert_eq!(
        v["calls"].as_array().unwrap().len(),
        5,
        "the five demo calls"
    );
    let utts = v["utterances"].as_array().unwrap();
    assert!(!utts.is_empty());
    assert_eq!(
        v["scorecards"].as_array().unwrap().len(),
        5,
        "one scorecard per demo call"
    );

    let out_dir = dir.path().join("export");
    let s = ok(&closeq(
        dir.path(),
        &[
            "dsr",
            "export",
            "--user",
            owner,
            "--out",
            out_dir.to_str().unwrap(),
        ],
    ));
    assert!(s.contains("exported 5 calls"), "{s}");
    for f in [
        "export.json",
        "calls.csv",
        "utterances.csv",
        "scorecards.csv",
    ] {
        let p = out_dir.join(f);
        assert!(p.exists(), "{f}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{f} must not be readable by others");
        }
    }
    let calls_csv = std::fs::read_to_string(out_dir.join("calls.csv")).unwrap();
    assert_eq!(calls_csv.lines().count(), 6, "header + 5 calls");
}

#[test]
fn unknown_client_exports_nothing_and_bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&closeq(
        dir.path(),
        &["dsr", "export", "--email", "nobody@example.com"],
    )))
    .unwrap();
    assert_eq!(v["calls"].as_array().unwrap().len(), 0);

    let bad = closeq(dir.path(), &["dsr", "export", "--user", "not-an-id"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--user"));

    let both = closeq(
        dir.path(),
        &[
            "dsr",
            "export",
            "--email",
            "a@example.com",
            "--phone",
            "+4930123456",
        ],
    );
    assert!(!both.status.success(), "one subject at a time");
}

#[test]
fn erase_needs_confirmation_and_refuses_the_only_owner() {
    let dir = tempfile::tempdir().unwrap();
    ok(&closeq(dir.path(), &["demo"]));
    let defaults: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("defaults.json")).unwrap()).unwrap();
    let owner = defaults["owner_id"].as_str().unwrap();

    let exported = closeq(dir.path(), &["dsr", "export", "--user", owner]);
    let before: serde_json::Value = serde_json::from_str(&ok(&exported)).unwrap();
    assert!(!before["utterances"].as_array().unwrap().is_empty());

    let no = closeq(dir.path(), &["dsr", "erase", "--user", owner]);
    assert!(!no.status.success());
    assert!(String::from_utf8_lossy(&no.stderr).contains("--yes"));

    // Erasing a member erases the person, not their calls' clients; the
    // installation's only owner cannot be erased, and nothing changes.
    let refused = closeq(dir.path(), &["dsr", "erase", "--user", owner, "--yes"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("only owner"), "{err}");
    // The refused request is closed as rejected, not left open.
    let list = ok(&closeq(dir.path(), &["dsr", "list"]));
    let erasure = list
        .lines()
        .find(|l| l.contains("erasure"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(erasure.contains("rejected"), "{list}");
    let after: serde_json::Value = serde_json::from_str(&ok(&closeq(
        dir.path(),
        &["dsr", "export", "--user", owner],
    )))
    .unwrap();
    assert_eq!(after["utterances"], before["utterances"]);
}

#[test]
fn rectify_names_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let s = ok(&closeq(
        dir.path(),
        &[
            "dsr",
            "rectify",
            "--email",
            "old@example.com",
            "--new-email",
            "new@example.com",
        ],
    ));
    assert!(s.contains("rectified 0 calls"), "{s}");
    let bad = closeq(
        dir.path(),
        &[
            "dsr",
            "rectify",
            "--email",
            "old@example.com",
            "--new-email",
            "not an address",
        ],
    );
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--new-email"), "{err}");
    assert!(
        !err.contains("not an address"),
        "input is not echoed: {err}"
    );
    let nothing = closeq(
        dir.path(),
        &["dsr", "rectify", "--email", "old@example.com"],
    );
    assert!(!nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("nothing to correct"));
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../closeq-analysis/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn analyze(dir: &Path, extra: &[&str]) -> Output {
    let file = fixture("discovery_good.txt");
    let mut args = vec![
        "analyze",
        file.as_str(),
        "--rep-speaker",
        "Rep",
        "--rubric",
        "bant",
    ];
    args.extend_from_slice(extra);
    closeq(dir, &args)
}

#[test]
fn restriction_and_objection_are_stored_listed_and_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&closeq(
        d,
        &["dsr", "restrict", "--phone", "+44 20 7946 0001"],
    ));
    // A call with that client (phone written another way) is refused
    // before anything is transcribed or stored.
    let refused = analyze(d, &["--client-phone", "020 7946 0001"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("GDPR Art. 18"), "{err}");
    assert!(!err.contains("7946"), "no identifier in the error: {err}");
    // Other clients are analysed.
    ok(&analyze(d, &["--client-phone", "020 7946 0002"]));
    // Lifted: analysed again.
    ok(&closeq(
        d,
        &["dsr", "unrestrict", "--phone", "+442079460001"],
    ));
    ok(&analyze(d, &["--client-phone", "020 7946 0001"]));
    // Objection: no further AI analysis.
    ok(&closeq(d, &["dsr", "object", "--email", "jo@example.com"]));
    let refused = analyze(d, &["--client-email", "Jo@Example.com"]);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("GDPR Art. 21"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // Both are listed, completed, without the identifiers.
    let list = ok(&closeq(d, &["dsr", "list"]));
    assert!(
        list.contains("restriction") && list.contains("objection"),
        "{list}"
    );
    assert_eq!(list.matches("completed").count(), 2, "{list}");
    assert!(
        !list.contains("jo@example.com") && !list.contains("7946"),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&closeq(d, &["dsr", "list", "--json"]))).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["kind"], "objection", "newest first");
    assert!(ok(&closeq(d, &["dsr", "list", "--open"])).contains("no data-subject requests"));
}

#[test]
fn export_erase_and_rectify_are_recorded_and_erasure_forgets_the_subject() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&analyze(
        d,
        &[
            "--client-email",
            "pat@example.com",
            "--client-name",
            "Pat Quinn",
        ],
    ));
    ok(&closeq(d, &["dsr", "export", "--email", "pat@example.com"]));
    ok(&closeq(
        d,
        &["dsr", "erase", "--email", "pat@example.com", "--yes"],
    ));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&closeq(d, &["dsr", "list", "--json"]))).unwrap();
    let kinds: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["erasure", "access"]);
    assert!(
        json[0]["subject"].is_null(),
        "a completed erasure forgets the subject"
    );
    assert!(
        json[1]["subject"].is_null(),
        "and so does the earlier access request"
    );
    assert_eq!(json[0]["subject_kind"], "email");
    // Canary scan: no file of the installation holds the address or the name.
    for entry in walk(d) {
        let bytes = std::fs::read(&entry).unwrap();
        for canary in [&b"pat@example.com"[..], b"Pat Quinn"] {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary),
                "{} still holds {}",
                entry.display(),
                String::from_utf8_lossy(canary)
            );
        }
    }
    assert_eq!(json[1]["state"]["state"], "completed");
    // Extend and reject work on open requests only, by id.
    let id = json[1]["id"].as_str().unwrap();
    let late = closeq(d, &["dsr", "reject", id, "--reason", "late"]);
    assert!(!late.status.success());
    assert!(String::from_utf8_lossy(&late.stderr).contains("completed"));
}

#[test]
fn consent_required_workspace_needs_consent_on_analyze() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // No workspace-settings command exists yet: flip the setting through
    // the library, on the same database the CLI uses.
    ok(&analyze(d, &[]));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use closeq_core::ports::WorkspaceStore;
        let (store, owner) = open_store(d).await;
        let mut settings = store.get_workspace(&owner).await.unwrap().settings;
        settings.consent_required = true;
        store.update_settings(&owner, &settings).await.unwrap();
    });
    let refused = analyze(d, &[]);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("recording consent"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    ok(&analyze(d, &["--consent", "ivr"]));
}

/// The installation's store and owner scope, opened as the CLI opens them.
async fn open_store(d: &Path) -> (closeq_storage::SqliteStore, closeq_core::Scope) {
    let defaults: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("defaults.json")).unwrap()).unwrap();
    let key: [u8; 32] = std::fs::read(d.join("subject-index.key"))
        .unwrap()
        .try_into()
        .unwrap();
    let store = closeq_storage::SqliteStore::open(
        d.join("closeq.db"),
        closeq_storage::SubjectHasher::new(key, "44"),
    )
    .await
    .unwrap();
    let owner = closeq_core::Scope {
        workspace_id: defaults["workspace_id"].as_str().unwrap().parse().unwrap(),
        user_id: defaults["owner_id"].as_str().unwrap().parse().unwrap(),
        role: closeq_core::Role::Owner,
        team_ids: Default::default(),
    };
    (store, owner)
}

#[test]
fn consent_withdrawal_and_objection_lift_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok(&analyze(
        d,
        &["--client-email", "sam@example.com", "--consent", "verbal"],
    ));
    let call = out
        .lines()
        .find_map(|l| l.strip_prefix("stored as call "))
        .unwrap()
        .trim()
        .to_owned();
    // Only a person on the call may withdraw its consent.
    let stranger = closeq(
        d,
        &[
            "dsr",
            "consent-withdraw",
            "--call",
            &call,
            "--email",
            "x@example.com",
        ],
    );
    assert!(!stranger.status.success());
    assert!(String::from_utf8_lossy(&stranger.stderr).contains("not a person on this call"));
    let said = ok(&closeq(
        d,
        &[
            "dsr",
            "consent-withdraw",
            "--call",
            &call,
            "--email",
            "Sam@Example.com",
        ],
    ));
    assert!(
        said.contains("withdrawn at") && said.contains(&call),
        "{said}"
    );
    assert!(!said.contains("sam@example.com"), "{said}");
    // The store holds the withdrawal, and every gate refuses the call.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use closeq_core::ports::{CallStore, PrivacyStore};
        let (store, owner) = open_store(d).await;
        let store = std::sync::Arc::new(store);
        let id: closeq_core::CallId = call.parse().unwrap();
        let consent = store.get_consent(&owner, id).await.unwrap().unwrap();
        assert!(consent.is_withdrawn());
        let c = store.get_call(&owner, id).await.unwrap();
        let gate = closeq_privacy::gates::ProcessingGate::new(store.clone(), store.clone());
        for r in [
            gate.check_processing(&owner, &c).await,
            gate.check_analysis(&owner, &c, None).await,
        ] {
            assert!(
                matches!(&r, Err(closeq_core::Error::Compliance { rule, .. }) if rule == "GDPR Art. 7(3)"),
                "{r:?}"
            );
        }
    });
    // Objection, then the subject lifts it: analysed again.
    ok(&closeq(d, &["dsr", "object", "--email", "sam@example.com"]));
    let refused = analyze(d, &["--client-email", "sam@example.com"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("GDPR Art. 21"));
    let lifted = ok(&closeq(
        d,
        &["dsr", "unobject", "--email", "SAM@example.com"],
    ));
    assert!(lifted.contains("objection lifted"), "{lifted}");
    ok(&analyze(d, &["--client-email", "sam@example.com"]));
    let again = closeq(d, &["dsr", "unobject", "--email", "sam@example.com"]);
    assert!(!again.status.success(), "no objection is standing");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&closeq(d, &["dsr", "list", "--json"]))).unwrap();
    let kinds: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["objection_lift", "objection", "consent_withdrawal"]);
    let list = ok(&closeq(d, &["dsr", "list"]));
    assert!(list.contains("consent_withdrawal") && list.contains("objection_lift"));
}

#[test]
fn rejection_and_extension_print_the_complaint_notice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&closeq(
        d,
        &[
            "dsr",
            "restrict",
            "--legal-claims",
            "--email",
            "lee@example.com",
        ],
    ));
    // An open request to answer: a rectification that finds nothing to
    // change stays open, so log one through the library.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = rt.block_on(async {
        let (store, owner) = open_store(d).await;
        let store = std::sync::Arc::new(store);
        let requests = closeq_privacy::request::SubjectRequests::new(
            store.clone(),
            store,
            std::sync::Arc::new(closeq_core::SystemClock),
        );
        let subject = closeq_core::Subject::Email(
            closeq_core::EmailAddress::parse("lee@example.com").unwrap(),
        );
        requests
            .receive(&owner, subject, closeq_core::RequestKind::Access)
            .await
            .unwrap()
            .id
            .to_string()
    });
    let extended = ok(&closeq(
        d,
        &[
            "dsr",
            "extend",
            &id,
            "--days",
            "10",
            "--reason",
            "many requests",
        ],
    ));
    assert!(
        extended.contains("Reason: many requests")
            && extended.contains("PUODO")
            && extended.contains("ul. Stawki 2, 00-193 Warszawa"),
        "{extended}"
    );
    let rejected = ok(&closeq(
        d,
        &["dsr", "reject", &id, "--reason", "identity not verified"],
    ));
    assert!(
        rejected.contains("Reason: identity not verified") && rejected.contains("uodo.gov.pl"),
        "{rejected}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&closeq(d, &["dsr", "list", "--json"]))).unwrap();
    let r = &json[0];
    assert_eq!(r["state"]["state"], "rejected");
    assert_eq!(
        r["state"]["complaint"]["address"],
        "ul. Stawki 2, 00-193 Warszawa, Poland"
    );
    assert_eq!(
        r["extensions"][0]["complaint"]["website"],
        "https://uodo.gov.pl"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn workspace_delete_schedules_or_purges_and_leaves_no_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok(&analyze(
        d,
        &[
            "--client-email",
            "kim@example.com",
            "--client-name",
            "Kim Vale",
        ],
    ));
    let call = out
        .lines()
        .find_map(|l| l.strip_prefix("stored as call "))
        .unwrap()
        .trim()
        .to_owned();
    let defaults: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("defaults.json")).unwrap()).unwrap();
    let ws = defaults["workspace_id"].as_str().unwrap().to_owned();
    let owner = defaults["owner_id"].as_str().unwrap().to_owned();
    let refused = closeq(d, &["workspace", "delete", "--now"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    // Scheduled: the subscription ends now, the purge is 90 days away.
    let scheduled = ok(&closeq(d, &["workspace", "delete", "--yes"]));
    assert!(scheduled.contains("will be deleted on"), "{scheduled}");
    let swept = ok(&closeq(d, &["retention", "run"]));
    assert!(swept.contains("will be deleted on"), "{swept}");
    // At once.
    let purged = ok(&closeq(d, &["workspace", "delete", "--now", "--yes"]));
    assert!(
        purged.contains("deleted the workspace: 1 calls"),
        "{purged}"
    );
    assert!(!purged.contains(&ws) && !purged.contains(&call), "{purged}");
    for entry in walk(d) {
        let bytes = std::fs::read(&entry).unwrap();
        for canary in [
            ws.as_str(),
            owner.as_str(),
            call.as_str(),
            "kim@example.com",
            "Kim Vale",
        ] {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                "{} still holds {canary}",
                entry.display()
            );
        }
    }
    // The next command starts a fresh workspace.
    ok(&closeq(d, &["workspace", "show"]));
}

#[test]
fn a_members_rectification_is_a_request_and_their_export_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&analyze(d, &[]));
    let defaults: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("defaults.json")).unwrap()).unwrap();
    let owner = defaults["owner_id"].as_str().unwrap().to_owned();
    let bad = closeq(
        d,
        &[
            "dsr",
            "rectify",
            "--user",
            &owner,
            "--new-time-zone",
            "Mars/Olympus",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("time_zone"));
    let said = ok(&closeq(
        d,
        &[
            "dsr",
            "rectify",
            "--user",
            &owner,
            "--new-name",
            "Ola Nowak",
            "--new-time-zone",
            "Europe/Warsaw",
            "--new-locale",
            "pl-pl",
        ],
    ));
    assert!(
        said.contains("display_name, time_zone, preferences"),
        "{said}"
    );
    assert!(!said.contains("Ola Nowak"), "{said}");
    let v: serde_json::Value =
        serde_json::from_str(&ok(&closeq(d, &["dsr", "export", "--user", &owner]))).unwrap();
    assert_eq!(v["version"], 3);
    assert_eq!(v["member"]["display_name"], "Ola Nowak");
    assert_eq!(v["member"]["time_zone"], "Europe/Warsaw");
    assert_eq!(v["member"]["preferences"]["locale"], "pl-PL");
    let kinds: Vec<&str> = v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"rectification"), "{kinds:?}");
    // Nothing changed by the refused correction was recorded as a request.
    let list = ok(&closeq(d, &["dsr", "list", "--json"]));
    let all: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(
        all.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "rectification")
            .count(),
        1
    );
}
