//! Tests of the configuration parser: a good file, and bad files naming the line and the field.

use super::*;

const GOOD: &str = r##"
# a comment
server = "ws://127.0.0.1:8765"
account = "relay"
health_minutes = 2

[[link]]
discord = 123456789012345678   # the id
chatify = "#General"
webhook = "chatify"

[[link]]
discord = "223456789012345678"
chatify = "ops"
passphrase = "sealed \"ops\" words"
"##;

#[test]
fn a_good_file_gives_every_link() {
    let config = parse_config(GOOD, "bridge.toml", true).expect("valid");
    assert_eq!(config.server, "ws://127.0.0.1:8765");
    assert_eq!(config.account, "relay");
    assert_eq!(config.health_every, Duration::from_secs(120));
    assert_eq!(config.links.len(), 2);
    let general = &config.links[0];
    assert_eq!(general.discord_channel, 123456789012345678);
    assert_eq!(general.chatify_channel, "general");
    assert_eq!(general.poster, DiscordPoster::Webhook("chatify".into()));
    assert!(general.passphrase.is_none());
    let ops = &config.links[1];
    assert_eq!(ops.poster, DiscordPoster::Bot);
    assert_eq!(
        ops.passphrase.as_deref().map(String::as_str),
        Some("sealed \"ops\" words")
    );
}

fn error_of(text: &str) -> String {
    parse_config(text, "bridge.toml", false)
        .expect_err("invalid")
        .to_string()
}

#[test]
fn mistakes_name_the_line_and_the_field() {
    let head = "server = \"ws://h:1\"\naccount = \"relay\"\n[[link]]\n";
    assert_eq!(
        error_of(&format!("{head}discord = \"abc\"\nchatify = \"g\"\n")),
        "bridge.toml, line 4, field `discord`: expected a Discord channel id (a number)"
    );
    assert_eq!(
        error_of(&format!("{head}discord = 1\nchatify = \"no spaces\"\n")),
        format!(
            "bridge.toml, line 5, field `chatify`: {}",
            crate::proto::normalize_channel("no spaces").unwrap_err()
        )
    );
    assert_eq!(
        error_of(&format!("{head}discord = 1\ncolour = \"red\"\n")),
        "bridge.toml, line 5, field `colour`: unknown field in [[link]]"
    );
    assert_eq!(
        error_of(&format!("{head}discord = 1\n")),
        "bridge.toml, line 3, field `chatify`: missing in this [[link]]"
    );
    assert_eq!(
        error_of(&format!(
            "{head}discord = 1\nchatify = \"g\"\npassphrase = \"x\"\n"
        )),
        "bridge.toml, line 6, field `passphrase`: an inline passphrase needs a config file only its owner can read (chmod 600), or use passphrase_file"
    );
    assert_eq!(
        error_of("server = \"ws://h:1\"\naccount = \"no way\"\n"),
        format!(
            "bridge.toml, line 2, field `account`: {}",
            crate::proto::validate_username("no way").unwrap_err()
        )
    );
    assert_eq!(
        error_of("server = \"ws://h:1\"\naccount = \"relay\n"),
        "bridge.toml, line 2, field `account`: the string has no closing quote"
    );
    assert_eq!(
        error_of("server = \"ws://h:1\"\naccount = \"relay\"\n[links]\n"),
        "bridge.toml, line 3: unknown table [links]: only [[link]] tables exist"
    );
    assert_eq!(
        error_of("account = \"relay\"\n[[link]]\ndiscord = 1\nchatify = \"g\"\n"),
        "bridge.toml: field `server` is missing (put it before the first [[link]])"
    );
    let twice =
        format!("{head}discord = 1\nchatify = \"g\"\n[[link]]\ndiscord = 1\nchatify = \"h\"\n");
    assert_eq!(
        error_of(&twice),
        "bridge.toml, line 6, field `discord`: channel 1 is already linked at line 3"
    );
}

#[cfg(unix)]
#[test]
fn a_passphrase_file_must_be_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ops.pass");
    std::fs::write(&file, "open sesame\n").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let text = format!(
        "server = \"ws://h:1\"\naccount = \"relay\"\n[[link]]\ndiscord = 1\nchatify = \"ops\"\npassphrase_file = \"{}\"\n",
        file.display()
    );
    let error = parse_config(&text, "b.toml", false)
        .expect_err("0644 refused")
        .to_string();
    assert!(
        error.starts_with("b.toml, line 6, field `passphrase_file`: "),
        "{error}"
    );
    assert!(
        error.ends_with("must be readable by its owner only (chmod 600)"),
        "{error}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let config = parse_config(&text, "b.toml", false).expect("0600 accepted");
    assert_eq!(
        config.links[0].passphrase.as_deref().map(String::as_str),
        Some("open sesame")
    );
}
