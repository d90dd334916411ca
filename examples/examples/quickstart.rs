//! The smallest useful program: a workspace, a call, its lifecycle, and who
//! may see it.
//!
//! Run: `cargo run -p closeq-examples --example quickstart`

use chrono::{TimeZone, Utc};
use closeq_core::{
    Action, Call, CallDirection, CallSource, CallStatus, Clock, ManualClock, Role, Scope, UserId,
    Workspace, access,
};

fn main() -> anyhow::Result<()> {
    let start = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 30, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("bad start time"))?;
    let clock = ManualClock::new(start);
    let workspace = Workspace::new("Acme Sales", clock.now())?;
    let rep = UserId::new();
    let mut call = Call::new(
        workspace.id,
        rep,
        clock.now(),
        CallDirection::Outbound,
        CallSource::Upload,
        clock.now(),
    );
    for next in [CallStatus::Transcribing, CallStatus::Transcribed] {
        call.transition(next)?;
    }
    println!("call {} is {}", call.id, call.status.name());

    for role in Role::ALL {
        let viewer = Scope::new(workspace.id, UserId::new(), role);
        let relation = viewer.relation_to_call(call.workspace_id, call.rep_id, call.team_id);
        println!(
            "{role:>8} (not the rep): may view = {}",
            access::permits(role, Action::ViewCall, relation)
        );
    }
    Ok(())
}
