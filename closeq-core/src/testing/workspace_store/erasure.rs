//! Conformance case for
//! [`list_invitations_to`](crate::ports::WorkspaceStore::list_invitations_to)
//! and
//! [`delete_invitations_to`](crate::ports::WorkspaceStore::delete_invitations_to):
//! an access request lists, the erasure of a member deletes the
//! invitations holding their address.

use chrono::Duration;

use crate::contact::EmailAddress;
use crate::error::Error;
use crate::invitation::Invitation;
use crate::member::Role;
use crate::testing::Outcome;
use crate::testing::world::{Stores, World, base_time};

/// Every invitation of the workspace to the address goes (any case, any
/// status); others and other workspaces' stay; owners and admins only.
pub async fn invitations_to_an_address_are_deleted(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let other = World::create(s).await;
    let invite = |world: &World, to: &str| {
        Invitation::new(
            world.workspace.id,
            EmailAddress::parse(to).expect("email"),
            Role::Member,
            world.owner.user_id,
            base_time(),
            base_time() + Duration::days(7),
        )
        .expect("invitation")
    };
    let mut hashes = Vec::new();
    for (world, to) in [
        (&w, "leaver@example.com"),
        (&w, "Leaver@Example.com"),
        (&w, "stays@example.com"),
        (&other, "leaver@example.com"),
    ] {
        let inv = invite(world, to);
        let hash = crate::invitation_token_sha256(&format!("del-{}", inv.id)).expect("hash");
        s.workspaces
            .insert_invitation(&world.owner, &inv, hash)
            .await
            .expect("insert");
        hashes.push(hash);
    }
    let leaver = EmailAddress::parse("leaver@example.com").expect("email");
    // Listed for their access request first: both of this workspace's.
    let listed = s
        .workspaces
        .list_invitations_to(&w.admin, &leaver)
        .await
        .expect("list");
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|i| i.workspace_id == w.workspace.id));
    assert!(listed.windows(2).all(|p| p[0].id < p[1].id));
    assert!(matches!(
        s.workspaces.list_invitations_to(&w.manager, &leaver).await,
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        s.workspaces.delete_invitations_to(&w.rep_a, &leaver).await,
        Err(Error::Forbidden { .. })
    ));
    assert_eq!(
        s.workspaces
            .delete_invitations_to(&w.admin, &leaver)
            .await
            .expect("delete"),
        2
    );
    assert_eq!(
        s.workspaces
            .delete_invitations_to(&w.owner, &leaver)
            .await
            .expect("again"),
        0,
        "idempotent"
    );
    for (i, hash) in hashes.iter().enumerate() {
        let found = s.workspaces.find_invitation(*hash).await;
        assert_eq!(found.is_ok(), i >= 2, "invitation #{i}: {found:?}");
    }
    Outcome::Passed
}
