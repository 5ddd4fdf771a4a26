//! One struct per write the store can do, each with its own reply type, run by the commit
//! thread inside its group-commit transaction: [`AppendEvent`] (the event log) and the account,
//! session, channel, membership and read-marker writes, and the operator's [`Administer`]. `Store`'s typed methods build these;
//! the SQL is in `append`, `accounts` and `governance`.

use rusqlite::Connection;

use super::accounts;
use super::append;
use super::commit_thread::{CommitCounters, WriteRequest};
use super::error::StoreError;
use super::events::LoggedEvent;
use super::governance::{self, AdminOp};
use super::replication::ReplicatedWrite;
use super::types::{Account, AppendOp, ChannelRecord, NewChannel};

/// Appends one event to the log.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct AppendEvent(pub AppendOp);

impl WriteRequest for AppendEvent {
    type Reply = LoggedEvent;

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::AppendEvent(self.clone()))
    }

    fn apply(
        &self,
        conn: &Connection,
        counters: &mut CommitCounters,
    ) -> Result<LoggedEvent, StoreError> {
        append::apply(conn, counters, self.0.clone())
    }
}

/// Creates an account (and its membership of `general`).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CreateAccount {
    pub name: String,
    pub password_phc: String,
    pub pk: Option<String>,
    pub now_ms: i64,
}

impl WriteRequest for CreateAccount {
    type Reply = Account;

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::CreateAccount(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<Account, StoreError> {
        accounts::create_account(
            conn,
            &self.name,
            &self.password_phc,
            self.pk.as_deref(),
            self.now_ms,
        )
    }
}

/// Replaces a user's identity public key.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SetPublicKey {
    pub name: String,
    pub pk: String,
}

impl WriteRequest for SetPublicKey {
    type Reply = ();

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::SetPublicKey(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        accounts::set_public_key(conn, &self.name, &self.pk)
    }
}

/// Stores a new session's token hash.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CreateSession {
    pub user: String,
    pub token_hash: [u8; 32],
    pub now_ms: i64,
}

impl WriteRequest for CreateSession {
    type Reply = ();

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::CreateSession(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        accounts::create_session(conn, &self.user, &self.token_hash, self.now_ms)
    }
}

/// Marks a session used.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct TouchSession {
    pub token_hash: [u8; 32],
    pub now_ms: i64,
}

impl WriteRequest for TouchSession {
    type Reply = ();

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::TouchSession(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        accounts::touch_session(conn, &self.token_hash, self.now_ms)
    }
}

/// Remembers an address an account logged in from with its password (replicated, so a
/// cluster's nodes all know it).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct RememberLoginAddress {
    pub user: String,
    pub address: String,
    pub now_ms: i64,
}

impl WriteRequest for RememberLoginAddress {
    type Reply = ();

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::RememberLoginAddress(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        accounts::remember_login_address(conn, &self.user, &self.address, self.now_ms)
    }
}

/// Forgets a session.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct DeleteSession {
    pub token_hash: [u8; 32],
}

impl WriteRequest for DeleteSession {
    type Reply = ();

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::DeleteSession(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        accounts::delete_session(conn, &self.token_hash)
    }
}

/// Sets a new password hash and deletes every other session of the user (all but `keep`);
/// replies how many sessions were deleted.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ChangePassword {
    pub user: String,
    pub password_phc: String,
    pub keep: [u8; 32],
}

impl WriteRequest for ChangePassword {
    type Reply = usize;

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::ChangePassword(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<usize, StoreError> {
        accounts::change_password(conn, &self.user, &self.password_phc, &self.keep)
    }
}

/// Creates a channel unless it exists.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CreateChannel(pub NewChannel);

impl WriteRequest for CreateChannel {
    type Reply = ChannelRecord;

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::CreateChannel(self.clone()))
    }

    fn apply(
        &self,
        conn: &Connection,
        _: &mut CommitCounters,
    ) -> Result<ChannelRecord, StoreError> {
        accounts::create_channel(conn, &self.0)
    }
}

/// Makes a user a member of a channel.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct AddMember {
    pub channel: String,
    pub user: String,
    pub now_ms: i64,
}

impl WriteRequest for AddMember {
    type Reply = ();

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::AddMember(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        accounts::add_member(conn, &self.channel, &self.user, self.now_ms)
    }
}

/// Removes a user from a channel.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct RemoveMember {
    pub channel: String,
    pub user: String,
}

impl WriteRequest for RemoveMember {
    type Reply = ();

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::RemoveMember(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        accounts::remove_member(conn, &self.channel, &self.user)
    }
}

/// Moves a read marker forward.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SetReadMarker {
    pub user: String,
    pub scope: String,
    pub seq: i64,
    pub now_ms: i64,
}

impl WriteRequest for SetReadMarker {
    type Reply = ();

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::SetReadMarker(self.clone()))
    }

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        accounts::set_read_marker(conn, &self.user, &self.scope, self.seq, self.now_ms)
    }
}

/// One administration op (`chatify admin`, the live `admin` frame, retention purges); replies
/// its count (see [`AdminOp`]). Judged by the commit thread's clock (on a cluster node, the
/// origin's time pinned for the entry, so every node applies the same purge).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Administer(pub AdminOp);

impl WriteRequest for Administer {
    type Reply = u64;

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::Administer(self.clone()))
    }

    fn apply(&self, conn: &Connection, counters: &mut CommitCounters) -> Result<u64, StoreError> {
        let now_ms = counters.next_ts();
        governance::administer(conn, self.0.clone(), now_ms)
    }
}
