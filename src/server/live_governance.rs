//! The governance state of a live channel that frames are checked against without a store
//! read: owner, operators, mutes, topic and settings ([`LiveGovernance`], kept in
//! `ChannelInner::gov`), loaded from the store's `ChannelGovernance` and kept in step by
//! `governance::apply_committed` after each committed system line. Bans and invitations stay
//! in the store: they are read when someone joins or is invited.

use std::collections::{BTreeSet, HashMap};

use super::registry::ChannelInner;
use crate::model::UserName;
use crate::proto::governance::ChannelRole;
use crate::store::{ChannelGovernance, ChannelRecord};

/// Owner, operators, mutes, topic and settings of one channel.
#[derive(Debug, Clone, Default)]
pub struct LiveGovernance {
    /// The creator.
    pub owner: Option<UserName>,
    pub ops: BTreeSet<UserName>,
    /// End of each mute (Unix ms); ended mutes are ignored.
    pub mutes: HashMap<UserName, i64>,
    pub topic: String,
    pub invite_only: bool,
    pub listed: bool,
    pub moderated: bool,
    pub retention_ms: Option<i64>,
}

impl LiveGovernance {
    /// The live form of a stored channel's governance (names that do not parse are skipped).
    pub fn from_record(record: &ChannelRecord) -> LiveGovernance {
        let ChannelGovernance {
            topic,
            invite_only,
            listed,
            moderated,
            retention_ms,
            ops,
            mutes,
        } = record.governance.clone();
        LiveGovernance {
            owner: UserName::parse(&record.created_by).ok(),
            ops: ops
                .iter()
                .filter_map(|name| UserName::parse(name).ok())
                .collect(),
            mutes: mutes
                .iter()
                .filter_map(|(user, until)| Some((UserName::parse(user).ok()?, *until)))
                .collect(),
            topic,
            invite_only,
            listed,
            moderated,
            retention_ms,
        }
    }
}

impl ChannelInner {
    /// The member's role (owner, operator or member), or `None` for a non-member.
    pub fn role_of(&self, user: &UserName) -> Option<ChannelRole> {
        if !self.is_member(user) {
            None
        } else if self.gov.owner.as_ref() == Some(user) {
            Some(ChannelRole::Owner)
        } else if self.gov.ops.contains(user) {
            Some(ChannelRole::Op)
        } else {
            Some(ChannelRole::Member)
        }
    }

    /// When `user`'s mute ends, if it has not ended by `now_ms`.
    pub fn muted_until(&self, user: &UserName, now_ms: i64) -> Option<i64> {
        self.gov
            .mutes
            .get(user)
            .copied()
            .filter(|until| *until > now_ms)
    }
}
