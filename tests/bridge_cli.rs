//! `chatify bridge` through the real binary: in a build without the `discord-bridge` feature it
//! exists and says how to get a build that has it (exit 2); with the feature, `--check` accepts
//! a good config, a bad one is refused naming the line and the field, and a missing
//! `DISCORD_TOKEN` is named. The shipped example config is valid.

use std::path::Path;
use std::process::{Command, Output};

fn chatify(args: &[&str], config_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args(args)
        .env("CHATIFY_CONFIG_DIR", config_dir)
        .env_remove("DISCORD_TOKEN")
        .env_remove("CHATIFY_PASSWORD")
        .env_remove("CHATIFY_BRIDGE_CONFIG")
        .output()
        .expect("run chatify")
}

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).expect("write config");
    path.display().to_string()
}

const GOOD: &str = "server = \"ws://127.0.0.1:1\"\naccount = \"relay\"\n[[link]]\ndiscord = 5\nchatify = \"general\"\n";

#[cfg(not(feature = "discord-bridge"))]
#[test]
fn without_the_feature_the_bridge_says_how_to_get_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), GOOD);
    let output = chatify(&["bridge", "--config", &config], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("built without the Discord bridge"),
        "{stderr}"
    );
    assert!(stderr.contains("--features discord-bridge"), "{stderr}");
}

#[cfg(feature = "discord-bridge")]
#[test]
fn check_accepts_a_good_config_and_names_the_line_and_field_of_a_bad_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), GOOD);
    let output = chatify(&["bridge", "--config", &config, "--check"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("ok (1 linked channels)"));

    let output = chatify(&["bridge", "--config", &config], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("set DISCORD_TOKEN"));

    let bad = write_config(dir.path(), &GOOD.replace("discord = 5", "discord = -5"));
    let output = chatify(&["bridge", "--config", &bad, "--check"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 4, field `discord`"), "{stderr}");
}

#[cfg(feature = "bridge-relay")]
#[test]
fn the_example_config_is_valid() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = dir.path().join("ops.pass");
    std::fs::write(&pass, "example passphrase\n").expect("write");
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/bridge.example.toml"))
            .expect("bridge.example.toml");
    let text = example.replace("/etc/chatify-bridge/ops.pass", &pass.display().to_string());
    let config = chatify::bridge::config::parse_config(&text, "bridge.example.toml", false)
        .expect("the example is valid");
    assert_eq!(config.links.len(), 2);
    assert!(config.links[1].passphrase.is_some());
}
