//! `chatify migrate`: upgrades a database file's schema in place through
//! `store::migrations` — a backup beside the file first, then one transaction per step, with a
//! progress bar on large databases (only on a terminal). `--status` prints the current and
//! target versions, `--dry-run` the steps; both change nothing. A database from a newer chatify
//! is refused and left byte-identical; a file that is not a chatify database is a clear error.

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
}

/// Runs `chatify migrate`.
pub fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let path = match args.db {
        Some(path) => path,
        None => crate::paths::default_db_path()?,
    };
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
