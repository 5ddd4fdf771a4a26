//! Governance as the model knows it, independent of the wire: a channel's changeable
//! [`ChannelSettings`], the [`ModAction`]s of moderation, and [`SysEvent`], what a system line
//! records (who was acted on, why, until when) with its plain-text wording. The store keeps these
//! in its rows, the server applies them to its registry, and `proto` carries them as they are
//! (`proto::governance` re-exports them, as it does `MessageEvent`). Pure data, no I/O.

use serde::{Deserialize, Serialize};

/// Channel settings, as changed by `mode` and shown in `joined` and system lines. Absent fields
/// are left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSettings {
    /// Only members and invitees may join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_only: Option<bool>,
    /// Shown in `list` to everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed: Option<bool>,
    /// Only operators (and the owner and server admins) may speak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderated: Option<bool>,
    /// Messages older than this many seconds are purged; `0` keeps them forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<u64>,
}

impl ChannelSettings {
    pub fn is_empty(&self) -> bool {
        self == &ChannelSettings::default()
    }
}

/// The moderation action a system line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModAction {
    Invite,
    Kick,
    Ban,
    Unban,
    Mute,
    Unmute,
    Op,
    Deop,
    Topic,
    Mode,
    /// An operator deleted another member's message (`msg` names it).
    Delete,
}

impl ModAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ModAction::Invite => "invite",
            ModAction::Kick => "kick",
            ModAction::Ban => "ban",
            ModAction::Unban => "unban",
            ModAction::Mute => "mute",
            ModAction::Unmute => "unmute",
            ModAction::Op => "op",
            ModAction::Deop => "deop",
            ModAction::Topic => "topic",
            ModAction::Mode => "mode",
            ModAction::Delete => "delete",
        }
    }
}

/// The `sys` field of a system line: a `msg` event whose `u` is who acted and whose `c` is the
/// same thing as plain text, for clients that do not know `sys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SysEvent {
    pub act: ModAction,
    /// The account acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// End of a mute, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<ChannelSettings>,
    /// The message an operator deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<i64>,
}

impl SysEvent {
    pub fn new(act: ModAction) -> SysEvent {
        SysEvent {
            act,
            target: None,
            reason: None,
            until: None,
            topic: None,
            settings: None,
            msg: None,
        }
    }

    /// The plain-text line of this event (without the actor), e.g. `kicked bob (spam)`.
    pub fn describe(&self) -> String {
        let target = self.target.as_deref().unwrap_or("?");
        let mut line = match self.act {
            ModAction::Invite => format!("invited {target}"),
            ModAction::Kick => format!("kicked {target}"),
            ModAction::Ban => format!("banned {target}"),
            ModAction::Unban => format!("unbanned {target}"),
            ModAction::Mute => format!("muted {target}"),
            ModAction::Unmute => format!("unmuted {target}"),
            ModAction::Op => format!("made {target} an operator"),
            ModAction::Deop => format!("removed operator from {target}"),
            ModAction::Topic => match self.topic.as_deref() {
                Some(topic) if !topic.is_empty() => format!("set the topic to: {topic}"),
                _ => "cleared the topic".to_string(),
            },
            ModAction::Mode => format!(
                "changed the settings: {}",
                describe_settings(
                    self.settings
                        .as_ref()
                        .unwrap_or(&ChannelSettings::default())
                )
            ),
            ModAction::Delete => format!(
                "deleted message {} by {target}",
                self.msg
                    .map_or_else(|| "?".to_string(), |id| id.to_string())
            ),
        };
        if let Some(reason) = self.reason.as_deref().filter(|r| !r.is_empty()) {
            line.push_str(&format!(" ({reason})"));
        }
        line
    }
}

/// `invite-only on, listed off, retention 7d` — the changed settings in words.
pub fn describe_settings(settings: &ChannelSettings) -> String {
    let flag = |on: bool| if on { "on" } else { "off" };
    let mut parts = Vec::new();
    if let Some(on) = settings.invite_only {
        parts.push(format!("invite-only {}", flag(on)));
    }
    if let Some(on) = settings.listed {
        parts.push(format!("listed {}", flag(on)));
    }
    if let Some(on) = settings.moderated {
        parts.push(format!("moderated {}", flag(on)));
    }
    match settings.retention {
        Some(0) => parts.push("retention off".to_string()),
        Some(secs) => parts.push(format!("retention {secs}s")),
        None => {}
    }
    if parts.is_empty() {
        "nothing".to_string()
    } else {
        parts.join(", ")
    }
}

/// The retention period that applies to a channel: its own (`mode retention`) or the server's
/// (`serve --retention`), the shorter when both are set; `None` keeps history forever.
pub fn effective_retention_ms(channel_ms: Option<i64>, server_ms: Option<i64>) -> Option<i64> {
    match (channel_ms, server_ms) {
        (Some(own), Some(server)) => Some(own.min(server)),
        (own, server) => own.or(server),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_lines_read_as_plain_text() {
        let mut kick = SysEvent::new(ModAction::Kick);
        kick.target = Some("bob".into());
        kick.reason = Some("spam".into());
        assert_eq!(kick.describe(), "kicked bob (spam)");
        let mut mode = SysEvent::new(ModAction::Mode);
        mode.settings = Some(ChannelSettings {
            invite_only: Some(true),
            retention: Some(0),
            ..ChannelSettings::default()
        });
        assert_eq!(
            mode.describe(),
            "changed the settings: invite-only on, retention off"
        );
        let topic = SysEvent::new(ModAction::Topic);
        assert_eq!(topic.describe(), "cleared the topic");
    }
}
