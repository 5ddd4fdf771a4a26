//! Edits, deletions and reactions of direct messages (docs/PROTOCOL.md §11.2): `dm_edit`,
//! `dm_delete` and `dm_react`. Each names the other party (`to`, which must exist:
//! `no_such_user`) and the DM (`id`); a `dm_edit` carries a new envelope exactly like a `dm`
//! (`must_encrypt` without `enc`). The store checks the target at commit (a live DM of this
//! conversation: `no_such_message`; edits and deletions by its author only: `forbidden`); the
//! fan-out then sends the change to every connection of both parties and acks it with its own
//! id. The server never sees the plaintext.

use super::errors::Reject;
use super::fanout::submit;
use super::messages::{check_dm_envelope, check_emoji, registered_peer};
use super::server_state::ServerSession;
use crate::proto::{DmDeleteFrame, DmEditFrame, DmReactFrame};
use crate::store::AppendOp;

/// `dm_edit`: the author's new envelope for their DM `id`.
pub async fn handle_dm_edit(
    session: &ServerSession,
    edit: DmEditFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let DmEditFrame { to, id, c, enc } = edit;
    let enc = check_dm_envelope(enc, &c)?;
    let op = AppendOp::DmEdit {
        from: session.user.to_string(),
        to: registered_peer(session, to).await?,
        target: id,
        c,
        enc,
    };
    submit(&session.state, op, &session.conn, rid);
    Ok(())
}

/// `dm_delete`: the author deletes their DM `id` (its text is purged in the same commit).
pub async fn handle_dm_delete(
    session: &ServerSession,
    delete: DmDeleteFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let op = AppendOp::DmDelete {
        from: session.user.to_string(),
        to: registered_peer(session, delete.to).await?,
        target: delete.id,
    };
    submit(&session.state, op, &session.conn, rid);
    Ok(())
}

/// `dm_react`: either party adds (`on`) or removes a reaction to DM `id`.
pub async fn handle_dm_react(
    session: &ServerSession,
    react: DmReactFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let DmReactFrame { to, id, emoji, on } = react;
    check_emoji(&emoji)?;
    let op = AppendOp::DmReact {
        from: session.user.to_string(),
        to: registered_peer(session, to).await?,
        target: id,
        emoji,
        on,
    };
    submit(&session.state, op, &session.conn, rid);
    Ok(())
}
