//! The governance commands of the app: sends `/invite`, `/kick`, `/ban`, `/unban`, `/mute`,
//! `/unmute`, `/op`, `/deop`, `/topic` and `/mode` to the current (or named) channel and reports
//! a refusal in words ("not permitted: you are not an operator of #ops"); the system line the
//! server broadcasts after commit is what shows the action. `/list` prints a page of the listed
//! channels. Part of `client::app`.

use super::channels::describe;
use super::{App, lock};
use crate::client::command::{ModCommand, ModCommandAction};
use crate::client::conn::ClientError;
use crate::client::render;
use crate::proto::governance::{ListFrame, ModTargetFrame, ModeFrame, MuteFrame, TopicFrame};
use crate::proto::{ClientFrame, ErrorCode, ServerFrame};

impl App {
    /// Runs one moderation command.
    pub(super) async fn moderate(&self, command: ModCommand) {
        let Some(channel) = command
            .channel
            .or_else(|| self.current_channel("that command"))
        else {
            return;
        };
        let (verb, frame) = moderation_frame(&channel, command.action);
        match self.session.request(frame).await {
            Ok(ServerFrame::Ack { .. }) => {}
            Ok(_) => {}
            Err(error) => self.error(format!("cannot {verb} in #{channel}: {}", refusal(&error))),
        }
    }

    /// `/list [after]`: one page of the listed channels.
    pub(super) async fn list_channels(&self, after: Option<String>) {
        let request = ClientFrame::List(ListFrame {
            after: after.clone(),
            limit: None,
        });
        match self.session.request(request).await {
            Ok(ServerFrame::List(page)) => {
                if page.channels.is_empty() {
                    return self.notice("no listed channels");
                }
                let joined: Vec<String> = lock(&self.state).channels.keys().cloned().collect();
                for channel in &page.channels {
                    let mark = if joined.contains(&channel.ch) {
                        "*"
                    } else {
                        " "
                    };
                    let lock_mark = match channel.mode {
                        crate::proto::ChannelMode::Sealed => "🔒",
                        crate::proto::ChannelMode::Open => "",
                    };
                    self.notice(format!(
                        "{mark} {lock_mark}#{} ({} members) {}",
                        channel.ch,
                        channel.members,
                        render::printable(&channel.topic)
                    ));
                }
                if let (true, Some(last)) = (page.more, page.channels.last()) {
                    self.notice(format!("more: /list {}", last.ch));
                }
            }
            Ok(_) => {}
            Err(error) => self.error(format!("cannot list channels: {}", describe(&error))),
        }
    }
}

/// The frame of a moderation command and the verb to name it by in an error.
fn moderation_frame(channel: &str, action: ModCommandAction) -> (&'static str, ClientFrame) {
    let target = |u: String, reason: Option<String>| ModTargetFrame {
        ch: channel.to_string(),
        u,
        reason,
    };
    match action {
        ModCommandAction::Invite { user } => ("invite", ClientFrame::Invite(target(user, None))),
        ModCommandAction::Kick { user, reason } => {
            ("kick", ClientFrame::Kick(target(user, reason)))
        }
        ModCommandAction::Ban { user, reason } => ("ban", ClientFrame::Ban(target(user, reason))),
        ModCommandAction::Unban { user } => ("unban", ClientFrame::Unban(target(user, None))),
        ModCommandAction::Mute { user, secs, reason } => (
            "mute",
            ClientFrame::Mute(MuteFrame {
                ch: channel.to_string(),
                u: user,
                secs,
                reason,
            }),
        ),
        ModCommandAction::Unmute { user } => ("unmute", ClientFrame::Unmute(target(user, None))),
        ModCommandAction::Op { user } => ("op", ClientFrame::Op(target(user, None))),
        ModCommandAction::Deop { user } => ("deop", ClientFrame::Deop(target(user, None))),
        ModCommandAction::Topic { topic } => (
            "set the topic",
            ClientFrame::Topic(TopicFrame {
                ch: channel.to_string(),
                topic,
            }),
        ),
        ModCommandAction::Mode(settings) => (
            "change the mode",
            ClientFrame::Mode(ModeFrame {
                ch: channel.to_string(),
                settings,
            }),
        ),
    }
}

/// A refusal in words; permission refusals say so plainly.
fn refusal(error: &ClientError) -> String {
    match error {
        ClientError::Server { code, message } if *code == ErrorCode::Forbidden => {
            format!("not permitted: {}", render::printable(message))
        }
        ClientError::Server { code, .. } if *code == ErrorCode::NotMember => {
            "not permitted: you are not a member of that channel (or it does not exist)".to_string()
        }
        other => describe(other),
    }
}
