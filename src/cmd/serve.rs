//! `chatify serve`: the server command. Glue only — parses the flags (each also a `CHATIFY_*`
//! environment variable), opens the database (store errors such as the newer-schema refusal are
//! reported verbatim), binds the listener, and runs `server::run` on a tokio runtime until
//! SIGINT or SIGTERM, then exits 0 after the graceful shutdown.
//!
//! wss: `--tls-cert/--tls-key` (or `--tls-self-signed`, generated once beside the database)
//! become a `tls::ServerTls` that the server wraps accepted sockets in; SIGHUP reloads the files
//! for later handshakes. Listening on a non-loopback address without TLS is warned about.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;

use crate::cli::GlobalArgs;
use crate::clock::Clock;
use crate::server::{Registration, ServerConfig};
use crate::store::{Durability, Store, StoreOptions};
use crate::tls::ServerTls;

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
    /// Cost units per second refilled per connection for queries, status, who and voice (a
    /// 500-row history costs 510, a ping 1); 0 disables.
    #[arg(long, env = "CHATIFY_READ_RATE", default_value_t = 2_000.0)]
    pub read_rate: f64,
    /// Burst allowance of the per-connection read meter, in cost units (at least 550).
    #[arg(long, env = "CHATIFY_READ_BURST", default_value_t = 20_000)]
    pub read_burst: u32,
    /// Outbound frames queued per connection before a slow client is disconnected (1013).
    #[arg(long, env = "CHATIFY_QUEUE_DEPTH", default_value_t = 1024)]
    pub queue_depth: usize,
    /// Open connections accepted at once; more are refused with close code 1013.
    #[arg(long, env = "CHATIFY_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub max_connections: usize,
    /// Open connections one account may hold; one more is refused at login.
    #[arg(
        long,
        env = "CHATIFY_MAX_CONNECTIONS_PER_ACCOUNT",
        default_value_t = 32
    )]
    pub max_connections_per_account: usize,
    /// Open connections from one address (IPv6: one /64); more are refused with close code 1013.
    #[arg(
        long,
        env = "CHATIFY_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 1_024
    )]
    pub max_connections_per_address: usize,
    /// Registrations accepted per client address (IPv6: per /64) and hour; 0 never limits.
    #[arg(long, env = "CHATIFY_REGISTRATIONS_PER_HOUR", default_value_t = 10)]
    pub registrations_per_hour: u32,
    /// Server-wide MiB of queued outbound frames; when full, the largest queues are closed (1013).
    #[arg(long, env = "CHATIFY_OUTBOUND_BUDGET_MIB", default_value_t = 1_024)]
    pub outbound_budget_mib: usize,
    /// normal survives a crash of the server process; full also survives an OS crash or power loss.
    #[arg(long, env = "CHATIFY_DURABILITY", value_enum, default_value_t = DurabilityArg::Normal)]
    pub durability: DurabilityArg,
    /// Refuse to start on an older schema instead of migrating it (run `chatify migrate`).
    #[arg(long, env = "CHATIFY_NO_AUTO_MIGRATE")]
    pub no_auto_migrate: bool,
    /// Account allowed to relay messages for people on another network (shown as name@network),
    /// such as the Discord bridge's account. Repeatable; the variable takes a comma-separated list.
    #[arg(
        long = "bridge-account",
        env = "CHATIFY_BRIDGE_ACCOUNTS",
        value_delimiter = ',',
        value_name = "NAME"
    )]
    pub bridge_accounts: Vec<String>,
    /// Serve plain-HTTP /healthz (200 ready, else 503) and /metrics (Prometheus text) on this
    /// address, for a load balancer and monitoring; keep it on a private address.
    #[arg(long, env = "CHATIFY_ADMIN_LISTEN", value_name = "ADDR")]
    pub admin_listen: Option<String>,
    /// Server-wide retention: purge messages older than this in every channel (e.g. 30d, 12w;
    /// at least 1m). A channel's own retention (/mode retention=…) can only shorten it.
    #[arg(long, env = "CHATIFY_RETENTION", value_name = "DURATION", value_parser = parse_retention)]
    pub retention: Option<std::time::Duration>,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// The cluster flags of `chatify serve` (docs/CLUSTER.md; builds with `--features cluster`).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Cluster (NATS JetStream)")]
pub struct ClusterArgs {
    /// Run as one node of a cluster sharing a NATS JetStream log: comma-separated NATS URLs
    /// (nats://h1:4222,nats://h2:4222). Without it: one node, SQLite only.
    #[arg(
        long,
        env = "CHATIFY_CLUSTER",
        value_delimiter = ',',
        value_name = "URLS"
    )]
    pub cluster: Vec<String>,
    /// A NATS credentials (.creds) file for --cluster.
    #[arg(
        long,
        env = "CHATIFY_NATS_CREDS",
        value_name = "PATH",
        requires = "cluster"
    )]
    pub nats_creds: Option<PathBuf>,
    /// Extra PEM root certificates for tls:// NATS servers.
    #[arg(
        long,
        env = "CHATIFY_NATS_CA",
        value_name = "PATH",
        requires = "cluster"
    )]
    pub nats_ca: Option<PathBuf>,
    /// Refuse a NATS connection without TLS.
    #[arg(long, env = "CHATIFY_NATS_REQUIRE_TLS", requires = "cluster")]
    pub nats_require_tls: bool,
    /// The JetStream stream holding the log (created if missing).
    #[arg(
        long,
        env = "CHATIFY_CLUSTER_STREAM",
        default_value = "CHATIFY",
        value_name = "NAME"
    )]
    pub cluster_stream: String,
    /// Replicas of the stream when this node creates it: 1 for a laptop, 3 for production.
    #[arg(
        long,
        env = "CHATIFY_CLUSTER_REPLICAS",
        default_value_t = 1,
        value_name = "N"
    )]
    pub cluster_replicas: usize,
    /// This node's name in logs [default: the host name and listen address].
    #[arg(long, env = "CHATIFY_NODE_NAME", value_name = "NAME")]
    pub node_name: Option<String>,
    /// How often this node tells the others it is alive, in milliseconds; its users show
    /// offline elsewhere after three missed heartbeats.
    #[arg(
        long,
        env = "CHATIFY_CLUSTER_HEARTBEAT_MS",
        default_value_t = 1000,
        value_name = "MS",
        value_parser = clap::value_parser!(u64).range(50..=60_000),
        requires = "cluster"
    )]
    pub cluster_heartbeat_ms: u64,
}

/// `--retention`: an age such as `30d` or `1w2d`.
fn parse_retention(text: &str) -> Result<std::time::Duration, String> {
    crate::timespec::parse_age_ms(text)
        .and_then(|ms| u64::try_from(ms).ok())
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| "use an age such as 90m, 30d or 12w".to_string())
}

/// The TLS flags of `chatify serve`.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "TLS (wss://)")]
pub struct TlsArgs {
    /// Serve wss:// with this PEM certificate chain (leaf first); SIGHUP reloads it.
    #[arg(
        long,
        value_name = "PATH",
        env = "CHATIFY_TLS_CERT",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert; SIGHUP reloads it.
    #[arg(
        long,
        value_name = "PATH",
        env = "CHATIFY_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Serve wss:// with a self-signed certificate, generated on first start and kept beside the
    /// database (<db>.tls-cert.pem, <db>.tls-key.pem, mode 0600); its SHA-256 fingerprint is
    /// printed at start. Clients pin it on first use.
    #[arg(long, env = "CHATIFY_TLS_SELF_SIGNED", conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls_self_signed: bool,
    /// Another name (DNS name or IP address) for the self-signed certificate, besides localhost
    /// and the loopback addresses; repeatable. Only used when the certificate is generated.
    #[arg(long, value_name = "NAME", requires = "tls_self_signed")]
    pub tls_name: Vec<String>,
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
    // One clock for the whole server: the store's event `ts` and the server's own.
    let clock = Clock::system();
    let mut config = server_config(&args, clock.clone())?;
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
        clock,
        ..StoreOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // A new cluster node first downloads an imported single-node database, if the log has one.
    runtime.block_on(seed_from_cluster(&args, &db))?;
    // Store errors (newer schema, needs migration, not a chatify database) are user-facing as is.
    let store = Store::open(&db, options).map_err(anyhow::Error::new)?;
    config.tls = server_tls(&args.tls, &db)?;
    let result = runtime.block_on(async {
        let extras = crate::server::ServeExtras {
            admin: bind_admin(args.admin_listen.clone()).await?,
            ..Default::default()
        };
        let extras = cluster_extras(&args, store.clone(), extras).await?;
        serve(args.listen.clone(), store.clone(), config, extras).await
    });
    store.close();
    result?;
    Ok(ExitCode::SUCCESS)
}

/// The server configuration from the flags, checked by [`ServerConfig::validate`] (a problem
/// is reported by its flag name).
fn server_config(args: &Args, clock: Clock) -> anyhow::Result<ServerConfig> {
    let config = ServerConfig {
        registration: match args.registration {
            RegistrationArg::Open => Registration::Open,
            RegistrationArg::Closed => Registration::Closed,
        },
        max_frame: args.max_frame,
        rate_limit: args.rate_limit,
        rate_burst: args.rate_burst,
        read_rate: args.read_rate,
        read_burst: args.read_burst,
        queue_depth: args.queue_depth,
        max_connections: args.max_connections,
        registrations_per_address_per_hour: args.registrations_per_hour,
        max_connections_per_account: args.max_connections_per_account,
        max_connections_per_address: args.max_connections_per_address,
        outbound_budget: crate::server::OutboundBudget::new(
            args.outbound_budget_mib.saturating_mul(1 << 20),
        ),
        clock,
        bridge_accounts: args.bridge_accounts.clone(),
        retention: args.retention,
        ..ServerConfig::default()
    };
    if let Err(error) = config.validate() {
        anyhow::bail!("--{} {}", error.field.replace('_', "-"), error.rule);
    }
    Ok(config)
}

/// The server's certificate from the TLS flags, announcing its fingerprint; `None` without TLS.
fn server_tls(args: &TlsArgs, db: &std::path::Path) -> anyhow::Result<Option<ServerTls>> {
    let tls = if args.tls_self_signed {
        let (tls, created) = ServerTls::self_signed(db, &args.tls_name)?;
        let verb = if created { "generated" } else { "using" };
        say(&format!(
            "{verb} the self-signed TLS certificate {}",
            tls.cert_path().display()
        ));
        tls
    } else if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        ServerTls::from_files(cert, key)?
    } else {
        return Ok(None);
    };
    say(&format!(
        "TLS certificate SHA-256 fingerprint: {}",
        tls.fingerprint()
    ));
    Ok(Some(tls))
}

/// A line for the operator: through tracing when it shows INFO, else straight to stderr.
fn say(line: &str) {
    if tracing::enabled!(tracing::Level::INFO) {
        tracing::info!("{line}");
    } else {
        eprintln!("{line}");
    }
}

async fn serve(
    listen: String,
    store: Store,
    config: ServerConfig,
    extras: crate::server::ServeExtras,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener
        .local_addr()
        .context("reading the listening address")?;
    let scheme = if config.tls.is_some() { "wss" } else { "ws" };
    say(&format!("listening on {scheme}://{address}"));
    if config.tls.is_none()
        && let Some(warning) = plaintext_listen_warning(address)
    {
        tracing::warn!("{warning}");
        if !tracing::enabled!(tracing::Level::WARN) {
            eprintln!("{warning}");
        }
    }
    if let Some(tls) = config.tls.clone() {
        tokio::spawn(reload_on_hangup(tls));
    }
    let shutdown = super::shutdown_signal();
    crate::server::run_with(listener, store, config, extras, shutdown).await
}

/// With `--cluster`: joins the cluster (the store becomes a replica of the shared log) and
/// makes the server catch up before accepting clients.
#[cfg(feature = "cluster")]
async fn cluster_extras(
    args: &Args,
    store: Store,
    mut extras: crate::server::ServeExtras,
) -> anyhow::Result<crate::server::ServeExtras> {
    if args.cluster.cluster.is_empty() {
        return Ok(extras);
    }
    let options = cluster_options(args)?;
    let node = crate::cluster::ClusterNode::start(&options, store, Clock::system()).await?;
    say(&format!(
        "cluster node {}: catching up with stream {}",
        options.node_name, options.stream
    ));
    extras.health = Some(node.health());
    extras.extra_metrics = Some(node.metrics());
    extras.live_link = Some(node.live_link());
    extras.before_accepting = Some(Box::pin(node.caught_up()));
    Ok(extras)
}

/// With `--cluster` and a database path that does not exist yet: downloads the single-node
/// database imported into the cluster (`chatify migrate --to-cluster`), if any.
#[cfg(feature = "cluster")]
async fn seed_from_cluster(args: &Args, db: &std::path::Path) -> anyhow::Result<()> {
    if args.cluster.cluster.is_empty() {
        return Ok(());
    }
    let options = cluster_options(args)?;
    if crate::cluster::seed::fetch_if_seeded(&options, db).await? {
        say(&format!(
            "downloaded the database imported into stream {} to {}",
            options.stream,
            db.display()
        ));
    }
    Ok(())
}

#[cfg(not(feature = "cluster"))]
async fn seed_from_cluster(_args: &Args, _db: &std::path::Path) -> anyhow::Result<()> {
    Ok(())
}

/// The cluster options from the flags.
#[cfg(feature = "cluster")]
fn cluster_options(args: &Args) -> anyhow::Result<crate::cluster::ClusterOptions> {
    if args.cluster.cluster_replicas == 0 || args.cluster.cluster_replicas > 5 {
        anyhow::bail!("--cluster-replicas must be 1 to 5");
    }
    Ok(crate::cluster::ClusterOptions {
        urls: args.cluster.cluster.clone(),
        credentials: args.cluster.nats_creds.clone(),
        tls_ca: args.cluster.nats_ca.clone(),
        require_tls: args.cluster.nats_require_tls,
        stream: args.cluster.cluster_stream.clone(),
        replicas: args.cluster.cluster_replicas,
        node_name: args
            .cluster
            .node_name
            .clone()
            .unwrap_or_else(|| args.listen.clone()),
        heartbeat: std::time::Duration::from_millis(args.cluster.cluster_heartbeat_ms),
    })
}

/// Without the `cluster` feature, `--cluster` says how to get it.
#[cfg(not(feature = "cluster"))]
async fn cluster_extras(
    args: &Args,
    _store: Store,
    extras: crate::server::ServeExtras,
) -> anyhow::Result<crate::server::ServeExtras> {
    if args.cluster.cluster.is_empty() {
        return Ok(extras);
    }
    anyhow::bail!("this chatify was built without cluster support; rebuild with --features cluster")
}

/// Binds `--admin-listen` (before the WebSocket listener, so its line is printed first).
async fn bind_admin(address: Option<String>) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    let Some(address) = address else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("listening for the admin endpoint on {address}"))?;
    let bound = listener
        .local_addr()
        .context("reading the admin endpoint's address")?;
    say(&format!(
        "admin endpoint (/healthz, /metrics) on http://{bound}"
    ));
    Ok(Some(listener))
}

/// The warning for a server without TLS listening on `address`: `None` on a loopback address.
pub fn plaintext_listen_warning(address: std::net::SocketAddr) -> Option<String> {
    (!address.ip().is_loopback()).then(|| {
        format!(
            "WARNING: listening on {address}, which is not a loopback address, without TLS: \
             passwords, session tokens and open-channel messages cross the network in the clear. \
             Use --tls-cert/--tls-key or --tls-self-signed."
        )
    })
}

/// On every SIGHUP, reads the certificate and key again; handshakes after that use them, open
/// connections keep theirs. A failed reload keeps the current certificate.
async fn reload_on_hangup(tls: ServerTls) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; the TLS certificate will not be reloaded");
            return;
        };
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => say(&format!(
                    "reloaded the TLS certificate; SHA-256 fingerprint: {}",
                    tls.fingerprint()
                )),
                Err(error) => {
                    let line = format!(
                        "reloading the TLS certificate failed, keeping the current one: {error}"
                    );
                    tracing::error!("{line}");
                    if !tracing::enabled!(tracing::Level::ERROR) {
                        eprintln!("{line}");
                    }
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tls;
}
