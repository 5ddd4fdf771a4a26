//! The check before a join (issue 10): `info` tells what a channel is without joining it, so a
//! sealed channel's passphrase is derived and checked against its kcv *before* the join, and a
//! wrong one is refused with nobody told (no "bob joined", "bob left"); a channel asked for as
//! sealed that is open is refused without joining it. A server without `info` gets the old
//! order (join, then check, then leave on a wrong passphrase). Part of `client::app`.

use super::{App, lock};
use crate::proto::{ChannelFrame, ChannelMode, ClientFrame, ServerFrame};

/// What `info` said about a channel we are not in.
pub(super) enum Peeked {
    /// Nobody created it yet (a join creates it), or the server has no `info`.
    Unknown,
    Open,
    /// Sealed, and its key is now held (cached, or derived from a passphrase that matched).
    SealedUnlocked,
    /// Sealed, and no matching passphrase was given: not joined, already said why.
    SealedRefused,
}

impl App {
    /// Asks the server what `channel` is; for a sealed one, makes sure we hold its key first.
    pub(super) async fn check_before_join(&self, channel: &str) -> Peeked {
        let request = ClientFrame::Info(ChannelFrame {
            ch: channel.to_string(),
        });
        let Ok(ServerFrame::Info {
            exists: true,
            mode: Some(mode),
            salt,
            kdf,
            kcv,
            ..
        }) = self.session.request(request).await
        else {
            return Peeked::Unknown;
        };
        if mode == ChannelMode::Open {
            return Peeked::Open;
        }
        let (Some(salt), Some(kdf), Some(kcv)) = (salt, kdf, kcv) else {
            // Incomplete parameters: the join path reports it.
            return Peeked::Unknown;
        };
        if lock(&self.keys).load_cached_channel_key(channel, &salt, &kcv) {
            return Peeked::SealedUnlocked;
        }
        let Some(passphrase) = self
            .prompter
            .passphrase(channel, false)
            .await
            .filter(|passphrase| !passphrase.is_empty())
        else {
            self.error(format!(
                "no passphrase given for 🔒#{channel} (not joined; nobody was told)"
            ));
            return Peeked::SealedRefused;
        };
        match self
            .derive_and_install(channel, passphrase, &salt, &kdf, &kcv)
            .await
        {
            Ok(()) => Peeked::SealedUnlocked,
            Err(reason) => {
                self.error(format!("{reason} (not joined; nobody was told)"));
                Peeked::SealedRefused
            }
        }
    }
}
