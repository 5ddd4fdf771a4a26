//! `chatify serve`: the server command. Glue only — parses the flags (each also a `CHATIFY_*`
//! environment variable), opens the database (store errors such as the newer-schema refusal are
//! reported verbatim), binds the listener, and runs `server::run` on a tokio runtime until
//! SIGINT or SIGTERM, then exits 0 after the graceful shutdown.
//!
//! wss: `server::connection` is generic over the socket type, so `--tls-cert/--tls-key` can later
//! wrap accepted sockets in a rustls acceptor before the WebSocket handshake; they are not built yet.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;

use crate::cli::GlobalArgs;
use crate::server::{Registration, ServerConfig};
use crate::store::{Durability, Store, StoreOptions};

/// Flags of `chatify serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address and port to listen on.
    #[arg(long, env = "CHATIFY_LISTEN", default_value = "127.0.0.1:8765")]
    pub listen: String,
    /// SQLite database file [default: chatify.db in the data directory].
    #[arg(long, env = "CHATIFY_DB")]
    pub db: Option<PathBuf>,
    /// Whether new accounts may register.
    #[arg(long, env = "CHATIFY_REGISTRATION", value_enum, default_value_t = RegistrationArg::Open)]
    pub registration: RegistrationArg,
    /// Largest frame a client may send, in bytes (larger: too_large and close 1009).
    #[arg(long, env = "CHATIFY_MAX_FRAME", default_value_t = crate::proto::DEFAULT_MAX_FRAME)]
    pub max_frame: usize,
    /// Sustained msg/dm/edit/delete/react/typing frames per second per connection; 0 disables.
    #[arg(long, env = "CHATIFY_RATE_LIMIT", default_value_t = 10.0)]
    pub rate_limit: f64,
    /// Burst allowance of the per-connection rate limit.
    #[arg(long, env = "CHATIFY_RATE_BURST", default_value_t = 30)]
    pub rate_burst: u32,
    /// Outbound frames queued per connection before a slow client is disconnected (1013).
    #[arg(long, env = "CHATIFY_QUEUE_DEPTH", default_value_t = 1024)]
    pub queue_depth: usize,
    /// Open connections accepted at once; more are refused with close code 1013.
    #[arg(long, env = "CHATIFY_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub max_connections: usize,
    /// normal survives a crash of the server process; full also survives an OS crash or power loss.
    #[arg(long, env = "CHATIFY_DURABILITY", value_enum, default_value_t = DurabilityArg::Normal)]
    pub durability: DurabilityArg,
    /// Refuse to start on an older schema instead of migrating it (run `chatify migrate`).
    #[arg(long, env = "CHATIFY_NO_AUTO_MIGRATE")]
    pub no_auto_migrate: bool,
}

/// `--registration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegistrationArg {
    Open,
    Closed,
}

/// `--durability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DurabilityArg {
    Normal,
    Full,
}

/// Runs `chatify serve`.
pub fn run(args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let config = server_config(&args)?;
    let db = match &args.db {
        Some(path) => path.clone(),
        None => {
            let path = crate::paths::default_db_path()?;
            if let Some(dir) = path.parent().filter(|d| !d.exists()) {
                crate::paths::create_private_dir(dir)?;
            }
            path
        }
    };
    let options = StoreOptions {
        durability: match args.durability {
            DurabilityArg::Normal => Durability::Normal,
            DurabilityArg::Full => Durability::Full,
        },
        auto_migrate: !args.no_auto_migrate,
        ..StoreOptions::default()
    };
    // Store errors (newer schema, needs migration, not a chatify database) are user-facing as is.
    let store = Store::open(&db, options).map_err(anyhow::Error::new)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(serve(args.listen, store.clone(), config));
    store.close();
    result?;
    Ok(ExitCode::SUCCESS)
}

fn server_config(args: &Args) -> anyhow::Result<ServerConfig> {
    if args.max_frame < 1024 {
        anyhow::bail!("--max-frame must be at least 1024 bytes");
    }
    if !args.rate_limit.is_finite() || args.rate_limit < 0.0 {
        anyhow::bail!("--rate-limit must be a number of frames per second, 0 or more");
    }
    if args.queue_depth < 8 {
        anyhow::bail!("--queue-depth must be at least 8");
    }
    if args.max_connections == 0 {
        anyhow::bail!("--max-connections must be at least 1");
    }
    Ok(ServerConfig {
        registration: match args.registration {
            RegistrationArg::Open => Registration::Open,
            RegistrationArg::Closed => Registration::Closed,
        },
        max_frame: args.max_frame,
        rate_limit: args.rate_limit,
        rate_burst: args.rate_burst.max(1),
        queue_depth: args.queue_depth,
        max_connections: args.max_connections,
        ..ServerConfig::default()
    })
}

async fn serve(listen: String, store: Store, config: ServerConfig) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener
        .local_addr()
        .context("reading the listening address")?;
    if tracing::enabled!(tracing::Level::INFO) {
        tracing::info!("listening on ws://{address}");
    } else {
        eprintln!("listening on ws://{address}");
    }
    crate::server::run(listener, store, config, shutdown_signal()).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
