//! `chatify keygen`: creates the user's X25519 identity key (`<config dir>/identity.key`, mode
//! 0600, or `--key PATH` / `$CHATIFY_KEY_FILE`) and prints its public key and fingerprint;
//! `--show` prints them for the existing key; an existing key is only replaced with `--force`.
//! Glue only: the key itself is `crypto::Identity`. The client finds the key file through
//! [`identity_path`] too.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::GlobalArgs;
use crate::crypto::Identity;

/// File name of the identity key inside the config dir.
pub const IDENTITY_FILE_NAME: &str = "identity.key";

/// Flags of `chatify keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The identity key file [default: <config dir>/identity.key].
    #[arg(long, value_name = "PATH", env = "CHATIFY_KEY_FILE")]
    pub key: Option<PathBuf>,
    /// Print the public key and fingerprint of the existing key instead of creating one.
    #[arg(long, conflicts_with = "force")]
    pub show: bool,
    /// Replace an existing key (peers who pinned the old one will be warned that it changed).
    #[arg(long)]
    pub force: bool,
}

/// Runs `chatify keygen`.
pub fn run(args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let path = identity_path(args.key.as_deref())?;
    if args.show {
        let identity = Identity::load(&path)?;
        print_identity("identity key", &path, &identity);
        return Ok(ExitCode::SUCCESS);
    }
    if std::fs::symlink_metadata(&path).is_ok() && !args.force {
        anyhow::bail!(
            "an identity key already exists at {}; not overwriting it \
             (use `chatify keygen --show` to see it, or --force to replace it — \
             peers who pinned the old key will be warned that it changed)",
            path.display()
        );
    }
    if args.key.is_none()
        && let Some(dir) = path.parent()
    {
        crate::paths::create_private_dir(dir).context("creating the config directory")?;
    }
    let identity = Identity::generate();
    identity.save(&path)?;
    let what = if args.force {
        "new identity key (replaced)"
    } else {
        "new identity key"
    };
    print_identity(what, &path, &identity);
    Ok(ExitCode::SUCCESS)
}

/// The identity key file: `explicit` if given, else `<config dir>/identity.key`.
pub fn identity_path(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    match explicit {
        Some(path) => Ok(path.to_path_buf()),
        None => Ok(crate::paths::config_dir()?.join(IDENTITY_FILE_NAME)),
    }
}

fn print_identity(what: &str, path: &Path, identity: &Identity) {
    println!("{what}: {}", path.display());
    println!("public key:  {}", identity.public_b64());
    println!("fingerprint: {}", identity.fingerprint());
}
