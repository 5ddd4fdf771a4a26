//! `chatify admin`: the operator's account and channel administration. On the database file
//! (with the server stopped): list users, disable/enable, reset a password, delete an account,
//! grant/revoke admin, list and revoke sessions, list/delete channels, purge a channel's
//! history before a date. With `--live`, through the running server with a server admin's
//! session, for what matters while it runs: disable, enable, disconnect, revoke sessions (the
//! account's connections end at once). A cluster node's index is refused for every change (it
//! would never reach the cluster's log). Glue over `store` and `client::session`.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use zeroize::Zeroizing;

use crate::cli::GlobalArgs;
use crate::store::{AdminOp, Store, StoreOptions, migrations, replication};

#[path = "admin_live.rs"]
mod live;

const EXAMPLES: &str = "\
Examples:
  chatify admin --db chat.db users
  chatify admin --db chat.db disable bob
  chatify admin --db chat.db reset-password bob              # prints a new random password
  printf 'new secret pw\\n' | chatify admin --db chat.db reset-password bob --stdin
  chatify admin --db chat.db grant alice
  chatify admin --db chat.db sessions bob
  chatify admin --db chat.db purge '#general' --before 2026-01-01
  chatify admin --live --server wss://chat.example.org:8765 --user root disable bob

On the database file, stop `chatify serve` first. --live acts through the running server with
your (a server admin's) session: disable, enable, disconnect and revoke-sessions, effective at once.
A cluster node's index (`serve --cluster`) is never changed offline, only listed: use --live.
Exit status: 0 on success, 2 on an error.";

/// Rows purged per transaction, so a big purge never holds the writer long.
const PURGE_BATCH: u32 = 500;
/// Length of a generated password.
const GENERATED_PASSWORD_LEN: usize = 20;

/// Flags of `chatify admin`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The database file [default: the server's, <data dir>/chatify.db].
    #[arg(long, value_name = "PATH", env = "CHATIFY_DB", conflicts_with = "live")]
    pub db: Option<PathBuf>,
    /// Act through the running server with your session (you must be a server admin):
    /// disable, enable, disconnect, revoke-sessions.
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub connection: live::LiveArgs,
    #[command(subcommand)]
    pub action: Action,
}

/// What to do.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// List every account: admin, disabled, saved sessions, channels, created.
    Users,
    /// Disable an account: it cannot log in and its sessions are revoked (with --live its
    /// connections also end at once).
    Disable { user: String },
    /// Enable a disabled account.
    Enable { user: String },
    /// Close every connection of an account now (--live only); it may log in again.
    Disconnect { user: String },
    /// Set a new password (printed, random) and revoke the account's sessions.
    ResetPassword {
        user: String,
        /// Read the new password from the first line of stdin instead of generating one.
        #[arg(long)]
        stdin: bool,
    },
    /// Delete an account with its sessions, memberships and roles (its past messages stay).
    DeleteUser { user: String },
    /// Make an account a server admin.
    Grant { user: String },
    /// Take server admin away from an account.
    Revoke { user: String },
    /// List saved sessions (short ids, never tokens), of one account or all.
    Sessions { user: Option<String> },
    /// Revoke every session of an account (with --live its connections also end at once).
    RevokeSessions { user: String },
    /// Revoke one session by the id `sessions` shows.
    RevokeSession { id: String },
    /// List every channel: mode, owner, members, messages, settings, topic.
    Channels,
    /// Delete a channel with its whole history.
    DeleteChannel { channel: String },
    /// Delete a channel's messages older than a time, for real (rows, search index, blind tokens).
    Purge {
        channel: String,
        /// Messages before this time: an age (30d), an RFC 3339 time or YYYY-MM-DD [HH:MM].
        #[arg(long, value_name = "TIME")]
        before: String,
    },
}

/// Runs `chatify admin`.
pub fn run(args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    if args.live {
        return live::run(&args.connection, &args.action);
    }
    let path = match args.db {
        Some(path) => path,
        None => crate::paths::default_db_path()?,
    };
    // Refuses a missing, foreign, older or newer database before opening it for writing.
    migrations::status(&path)?;
    if writes_the_file(&args.action)
        && let Some(position) = replication::cluster_index_position(&path)?
    {
        anyhow::bail!(cluster_index_refusal(&path, position));
    }
    let options = StoreOptions {
        auto_migrate: false,
        readers: 1,
        ..StoreOptions::default()
    };
    let store =
        Store::open(&path, options).with_context(|| format!("opening {}", path.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(offline(&store, args.action));
    store.close();
    result.map(|()| ExitCode::SUCCESS)
}

/// Whether the offline action changes the database (the listings only read it).
fn writes_the_file(action: &Action) -> bool {
    !matches!(
        action,
        Action::Users | Action::Sessions { .. } | Action::Channels | Action::Disconnect { .. }
    )
}

/// Why a change is not written to a cluster node's index, and what to do instead.
fn cluster_index_refusal(path: &std::path::Path, position: u64) -> String {
    format!(
        "{} is a cluster node's index (it holds the cluster's log up to entry {position}): a \
         change written to this file would never reach the log, so the other nodes would never \
         see it, and nothing was written. Act through a running node instead, as a server admin: \
         `chatify admin --live --server wss://NODE:PORT --user ADMIN disable|enable|disconnect|\
         revoke-sessions USER`. The other changes (reset-password, delete-user, grant, revoke, \
         revoke-session, delete-channel, purge) have no cluster path yet; users, sessions and \
         channels still read this file",
        path.display()
    )
}

async fn offline(store: &Store, action: Action) -> anyhow::Result<()> {
    match action {
        Action::Users => print_users(store).await,
        Action::Sessions { user } => print_sessions(store, user).await,
        Action::Channels => print_channels(store).await,
        Action::Disconnect { .. } => anyhow::bail!(
            "disconnect works on a running server: use --live (with --server and --user)"
        ),
        Action::Purge { channel, before } => purge(store, &channel, &before).await,
        Action::ResetPassword { user, stdin } => reset_password(store, &user, stdin).await,
        other => {
            let (op, done) = offline_op(other)?;
            let count = store.administer(op).await?;
            println!("{}", done(count));
            Ok(())
        }
    }
}

type Done = Box<dyn Fn(u64) -> String>;

/// The store op of a simple action and how to report it.
fn offline_op(action: Action) -> anyhow::Result<(AdminOp, Done)> {
    Ok(match action {
        Action::Disable { user } => (
            AdminOp::SetDisabled {
                user: user.clone(),
                disabled: true,
            },
            Box::new(move |n| format!("disabled {user}; revoked {n} session(s)")),
        ),
        Action::Enable { user } => (
            AdminOp::SetDisabled {
                user: user.clone(),
                disabled: false,
            },
            Box::new(move |_| format!("enabled {user}")),
        ),
        Action::DeleteUser { user } => (
            AdminOp::DeleteAccount { user: user.clone() },
            Box::new(move |_| format!("deleted account {user}")),
        ),
        Action::Grant { user } => (
            AdminOp::SetAdmin {
                user: user.clone(),
                admin: true,
                by: None,
            },
            Box::new(move |n| match n {
                0 => format!("{user} was already a server admin"),
                _ => format!("{user} is now a server admin"),
            }),
        ),
        Action::Revoke { user } => (
            AdminOp::SetAdmin {
                user: user.clone(),
                admin: false,
                by: None,
            },
            Box::new(move |n| match n {
                0 => format!("{user} was not a server admin"),
                _ => format!("{user} is no longer a server admin"),
            }),
        ),
        Action::RevokeSessions { user } => (
            AdminOp::RevokeSessions { user: user.clone() },
            Box::new(move |n| format!("revoked {n} session(s) of {user}")),
        ),
        Action::RevokeSession { id } => (
            AdminOp::RevokeSession { id: id.clone() },
            Box::new(move |n| match n {
                0 => format!("no session {id}"),
                _ => format!("revoked session {id}"),
            }),
        ),
        Action::DeleteChannel { channel } => {
            let channel = crate::proto::normalize_channel(&channel)?;
            (
                AdminOp::DeleteChannel {
                    channel: channel.clone(),
                },
                Box::new(move |n| format!("deleted #{channel} and its {n} event(s)")),
            )
        }
        _ => anyhow::bail!("that action has its own handler"),
    })
}

async fn print_users(store: &Store) -> anyhow::Result<()> {
    let users = store.read(|reader| reader.account_summaries()).await?;
    println!(
        "{:<32} {:<5} {:<8} {:>8} {:>8}  created",
        "user", "admin", "disabled", "sessions", "channels"
    );
    for user in users {
        println!(
            "{:<32} {:<5} {:<8} {:>8} {:>8}  {}",
            user.name,
            yes(user.admin),
            yes(user.disabled),
            user.sessions,
            user.channels,
            crate::cmd::oneshot::output::iso_time(user.created_ms)
        );
    }
    Ok(())
}

async fn print_sessions(store: &Store, user: Option<String>) -> anyhow::Result<()> {
    let sessions = store
        .read(move |reader| reader.session_summaries(user.as_deref()))
        .await?;
    println!("{:<8} {:<32} {:<24} last used", "id", "user", "created");
    for session in sessions {
        println!(
            "{:<8} {:<32} {:<24} {}",
            session.id,
            session.user,
            crate::cmd::oneshot::output::iso_time(session.created_ms),
            crate::cmd::oneshot::output::iso_time(session.last_used_ms)
        );
    }
    Ok(())
}

async fn print_channels(store: &Store) -> anyhow::Result<()> {
    let channels = store.read(|reader| reader.channel_summaries()).await?;
    for channel in channels {
        let mut flags = Vec::new();
        if channel.invite_only {
            flags.push("invite-only");
        }
        if !channel.listed {
            flags.push("unlisted");
        }
        println!(
            "#{} {} owner {} · {} member(s) · {} message(s){}{}",
            channel.name,
            channel.mode.as_str(),
            channel.owner,
            channel.members,
            channel.messages,
            if flags.is_empty() {
                String::new()
            } else {
                format!(" · {}", flags.join(", "))
            },
            if channel.topic.is_empty() {
                String::new()
            } else {
                format!(" · {}", channel.topic)
            }
        );
    }
    Ok(())
}

async fn purge(store: &Store, channel: &str, before: &str) -> anyhow::Result<()> {
    let channel = crate::proto::normalize_channel(channel)?;
    let before_ms = crate::timespec::parse_time(before, crate::timespec::now_ms())
        .map_err(|error| anyhow::anyhow!("--before: {error}"))?;
    let lookup = channel.clone();
    if store
        .read(move |reader| reader.channel(&lookup))
        .await?
        .is_none()
    {
        anyhow::bail!("there is no channel #{channel}");
    }
    let mut purged = 0;
    loop {
        let op = AdminOp::PurgeHistory {
            channel: channel.clone(),
            before_ms,
            max_messages: PURGE_BATCH,
        };
        let batch = store.administer(op).await?;
        purged += batch;
        if batch < u64::from(PURGE_BATCH) {
            break;
        }
    }
    println!(
        "purged {purged} message(s) of #{channel} before {}",
        crate::cmd::oneshot::output::iso_time(before_ms)
    );
    Ok(())
}

async fn reset_password(store: &Store, user: &str, from_stdin: bool) -> anyhow::Result<()> {
    let password = if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the new password from stdin")?;
        let password = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string());
        if password.chars().count() < crate::model::limits::MIN_PASSWORD_CHARS {
            anyhow::bail!("a password needs at least 8 characters");
        }
        password
    } else {
        generated_password()
    };
    let phc = crate::crypto::hash_password(&password).context("hashing the password")?;
    let op = AdminOp::SetPassword {
        user: user.to_string(),
        password_phc: phc,
    };
    let revoked = store.administer(op).await?;
    if from_stdin {
        println!("set a new password for {user}; revoked {revoked} session(s)");
    } else {
        println!("new password for {user}: {}", password.as_str());
        println!(
            "revoked {revoked} session(s); give the password to its owner over a safe channel"
        );
    }
    Ok(())
}

/// A random password of letters and digits (about 117 bits), without modulo bias.
fn generated_password() -> Zeroizing<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // The largest multiple of the alphabet size that fits in a byte: bytes above are redrawn.
    let limit = 256 - 256 % ALPHABET.len();
    let mut password = Zeroizing::new(String::with_capacity(GENERATED_PASSWORD_LEN));
    while password.len() < GENERATED_PASSWORD_LEN {
        let mut byte = [0u8; 1];
        rand::fill(&mut byte[..]);
        let value = usize::from(byte[0]);
        if value < limit {
            password.push(char::from(ALPHABET[value % ALPHABET.len()]));
        }
    }
    password
}

fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}
