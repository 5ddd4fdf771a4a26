//! `chatify migrate`: upgrades a database file's schema in place through
//! `store::migrations` — a backup beside the file first, then one transaction per step, with a
//! progress bar on large databases (only on a terminal). `--status` prints the current and
//! target versions, `--dry-run` the steps; both change nothing. A database from a newer chatify
//! is refused and left byte-identical; a file that is not a chatify database is a clear error.
//! `--to-cluster` instead imports the database, once, into a new cluster's log (`cluster::seed`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::GlobalArgs;
use crate::store::migrations::{self, MigrateOptions, MigrateProgress, SchemaStatus, Step};

/// Back-fill rows from which a progress bar is worth showing.
const LARGE_ROWS: u64 = 10_000;
/// Backup pages (4 KiB each by default) from which a progress bar is worth showing.
const LARGE_PAGES: u64 = 2_560;

const EXAMPLES: &str = "\
Examples:
  chatify migrate --db chat.db --status
  chatify migrate --db chat.db --dry-run
  chatify migrate --db chat.db
  chatify migrate --db chat.db --to-cluster nats://n1:4222,nats://n2:4222 --cluster-replicas 3

A backup named <file>.backup-v<N>-<UTC time> is written beside the file before the first step.
Stop `chatify serve` before migrating. A database written by a newer chatify is never touched.
Exit status: 0 on success (also when already up to date), 2 on an error.";

/// Flags of `chatify migrate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The database file [default: the server's, <data dir>/chatify.db].
    #[arg(long, value_name = "PATH", env = "CHATIFY_DB")]
    pub db: Option<PathBuf>,
    /// Print the database's schema version and the version this chatify uses; change nothing.
    #[arg(long, conflicts_with = "dry_run")]
    pub status: bool,
    /// Print the steps a migration would run; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import this single-node database, once, into a new cluster's NATS JetStream log
    /// (comma-separated NATS URLs; the stream must be empty). Then start each `serve --cluster`
    /// node on a new database path: it downloads the import (docs/CLUSTER.md).
    #[arg(
        long,
        value_name = "URLS",
        value_delimiter = ',',
        conflicts_with_all = ["status", "dry_run"]
    )]
    pub to_cluster: Vec<String>,
    /// The stream to import into (as `serve --cluster-stream`).
    #[arg(long, value_name = "NAME", default_value = "CHATIFY")]
    pub cluster_stream: String,
    /// Replicas of the stream when the import creates it: 1 for a laptop, 3 for production.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub cluster_replicas: usize,
    /// A NATS credentials (.creds) file for --to-cluster.
    #[arg(long, value_name = "PATH", requires = "to_cluster")]
    pub nats_creds: Option<PathBuf>,
    /// Extra PEM root certificates for tls:// NATS servers of --to-cluster.
    #[arg(long, value_name = "PATH", requires = "to_cluster")]
    pub nats_ca: Option<PathBuf>,
}

/// Runs `chatify migrate`.
pub fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let path = match args.db.clone() {
        Some(path) => path,
        None => crate::paths::default_db_path()?,
    };
    if !args.to_cluster.is_empty() {
        import_to_cluster(&args, &path)?;
        return Ok(ExitCode::SUCCESS);
    }
    let status = migrations::status(&path)?;
    if args.status {
        print_status(&path, &status);
    } else if status.pending.is_empty() {
        println!(
            "{}: already up to date (schema version {})",
            path.display(),
            status.current
        );
    } else if args.dry_run {
        print_plan(&path, &status);
    } else {
        migrate(&path, global)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--to-cluster`: imports the database into the cluster's log (`cluster::seed`).
#[cfg(feature = "cluster")]
fn import_to_cluster(args: &Args, path: &Path) -> anyhow::Result<()> {
    if args.cluster_replicas == 0 || args.cluster_replicas > 5 {
        anyhow::bail!("--cluster-replicas must be 1 to 5");
    }
    let options = crate::cluster::ClusterOptions {
        urls: args.to_cluster.clone(),
        credentials: args.nats_creds.clone(),
        tls_ca: args.nats_ca.clone(),
        require_tls: false,
        stream: args.cluster_stream.clone(),
        replicas: args.cluster_replicas,
        node_name: "migrate".into(),
        heartbeat: crate::cluster::DEFAULT_HEARTBEAT,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(crate::cluster::seed::import(&options, path))?;
    println!(
        "imported {} (schema version {}, {} bytes in {} parts) into stream {}",
        path.display(),
        report.schema_version,
        report.bytes,
        report.parts,
        options.stream
    );
    println!(
        "start each node with `chatify serve --cluster {} --db <a new path>`: it downloads it",
        args.to_cluster.join(",")
    );
    Ok(())
}

#[cfg(not(feature = "cluster"))]
fn import_to_cluster(_args: &Args, _path: &Path) -> anyhow::Result<()> {
    anyhow::bail!("this chatify was built without cluster support; rebuild with --features cluster")
}

fn print_status(path: &Path, status: &SchemaStatus) {
    println!("database:          {}", path.display());
    println!("schema version:    {}", describe_version(status.current));
    println!("this chatify uses: {}", status.target);
    if status.pending.is_empty() {
        println!("up to date");
        return;
    }
    println!("pending steps:     {}", status.pending.len());
    print_steps(&status.pending);
    println!(
        "run `chatify migrate --db {}` to upgrade (a backup is written first)",
        path.display()
    );
}

fn print_plan(path: &Path, status: &SchemaStatus) {
    println!(
        "would migrate {} from schema version {} to {}:",
        path.display(),
        status.current,
        status.target
    );
    print_steps(&status.pending);
    if status.current > 0 {
        println!(
            "a backup would be written first: {}.backup-v{}-<UTC time>",
            path.display(),
            status.current
        );
    }
    println!("dry run: nothing was changed");
}

fn print_steps(steps: &[Step]) {
    for step in steps {
        println!("  step to v{}: {}", step.version, step.description);
    }
}

fn describe_version(version: u32) -> String {
    match version {
        0 => "0 (empty database)".to_string(),
        version => version.to_string(),
    }
}

fn migrate(path: &Path, global: &GlobalArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut progress = ProgressView::new(!global.quiet && std::io::stderr().is_terminal());
    let options = MigrateOptions {
        dry_run: false,
        backup: true,
    };
    let outcome = migrations::migrate(path, &options, &mut |event| progress.show(event));
    progress.clear();
    let report = outcome?;
    if let Some(backup) = &report.backup {
        println!("backup written: {}", backup.display());
    }
    let steps = report.steps.len();
    println!(
        "migrated {} from schema version {} to {} ({steps} step{}) in {:.1} s",
        path.display(),
        report.from,
        report.to,
        if steps == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The progress bar: created only when the work turns out to be large, and only on a terminal.
struct ProgressView {
    enabled: bool,
    bar: Option<ProgressBar>,
    label: String,
}

impl ProgressView {
    fn new(enabled: bool) -> Self {
        ProgressView {
            enabled,
            bar: None,
            label: String::new(),
        }
    }

    fn show(&mut self, event: MigrateProgress) {
        match event {
            MigrateProgress::BackupStarted { .. } => self.start("writing the backup"),
            MigrateProgress::BackupPages { done, total } => self.update(done, total, LARGE_PAGES),
            MigrateProgress::StepStarted { version, .. } => {
                self.start(&format!("step to v{version}"))
            }
            MigrateProgress::StepRows { done, total, .. } => self.update(done, total, LARGE_ROWS),
            MigrateProgress::BackupFinished { .. } | MigrateProgress::StepFinished { .. } => {
                self.clear()
            }
        }
    }

    fn start(&mut self, label: &str) {
        self.clear();
        self.label = label.to_string();
    }

    fn update(&mut self, done: u64, total: u64, large: u64) {
        if self.bar.is_none() && self.enabled && total >= large {
            let style = ProgressStyle::with_template("{msg:20} [{bar:40}] {pos}/{len} ({eta})")
                .map(|style| style.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(style);
            bar.set_message(self.label.clone());
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
