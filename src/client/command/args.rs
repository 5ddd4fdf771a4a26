//! Argument helpers of the command parser: splitting words, validating `#channel`, user and
//! message-id arguments with a usage sentence on failure, and the "did you mean" suggestion for
//! an unknown command. Part of `client::command`; pure code.

use super::{COMMAND_NAMES, Command, ParseError};

pub(super) fn unknown_command(name: &str) -> ParseError {
    let typed = format!("/{name}");
    if name.eq_ignore_ascii_case("nick") {
        return ParseError::new(
            "there is no /nick: your name is your account's, fixed at registration (nothing was sent)",
        );
    }
    // Two typos only when the first letter is right: "/jion" is "/join", "/nick" is not "/back".
    let near = |candidate: &str, distance: usize| {
        distance <= 1 || (distance <= 2 && candidate.chars().nth(1) == typed.chars().nth(1))
    };
    let by_prefix = COMMAND_NAMES
        .iter()
        .find(|candidate| name.len() >= 2 && candidate.starts_with(&typed))
        .map(|candidate| (0, *candidate));
    let suggestion = by_prefix.or_else(|| {
        COMMAND_NAMES
            .iter()
            .map(|candidate| (edit_distance(&typed, candidate), *candidate))
            .filter(|(distance, candidate)| near(candidate, *distance))
            .min()
    });
    match suggestion {
        Some((_, candidate)) => ParseError::new(format!(
            "unknown command {typed} — did you mean {candidate}? (nothing was sent; /help lists commands)"
        )),
        None => ParseError::new(format!(
            "unknown command {typed} (nothing was sent; /help lists commands, //text sends a line starting with /)"
        )),
    }
}

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b_chars.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

/// Splits off the first whitespace-delimited word; the rest keeps its inner spacing.
pub(super) fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(cut) => (&text[..cut], text[cut..].trim_start()),
        None => (text, ""),
    }
}

pub(super) fn channel_arg(word: &str) -> Result<String, ParseError> {
    crate::proto::normalize_channel(word).map_err(|_| {
        ParseError::new(format!(
            "{word:?} is not a channel name (a-z, 0-9, _ and -, up to 32)"
        ))
    })
}

pub(super) fn user_arg(word: &str) -> Result<String, ParseError> {
    let word = word.strip_prefix('@').unwrap_or(word);
    crate::proto::validate_username(word)
        .map(|()| word.to_string())
        .map_err(|_| {
            ParseError::new(format!(
                "{word:?} is not a username (A-Z, a-z, 0-9, _ and -, up to 32)"
            ))
        })
}

pub(super) fn optional_channel(rest: &str) -> Result<Option<String>, ParseError> {
    let mut words = rest.split_whitespace();
    let channel = words.next().map(channel_arg).transpose()?;
    if words.next().is_some() {
        return Err(ParseError::new("this command takes at most one #channel"));
    }
    Ok(channel)
}

pub(super) fn optional_user(rest: &str) -> Result<Option<String>, ParseError> {
    let mut words = rest.split_whitespace();
    let user = words.next().map(user_arg).transpose()?;
    if words.next().is_some() {
        return Err(ParseError::new("this command takes at most one user"));
    }
    Ok(user)
}

pub(super) fn user_and_text(rest: &str, usage: &str) -> Result<(String, String), ParseError> {
    let (user, text) = split_word(rest);
    if user.is_empty() || text.trim().is_empty() {
        return Err(ParseError::new(usage));
    }
    Ok((user_arg(user)?, text.to_string()))
}

pub(super) fn id_and_text(rest: &str, usage: &str) -> Result<(i64, String), ParseError> {
    let (id, text) = split_word(rest);
    if text.trim().is_empty() {
        return Err(ParseError::new(usage));
    }
    Ok((message_id(id, usage)?, text.to_string()))
}

pub(super) fn only_id(rest: &str, usage: &str) -> Result<i64, ParseError> {
    let (id, extra) = split_word(rest);
    if !extra.is_empty() {
        return Err(ParseError::new(usage));
    }
    message_id(id, usage)
}

pub(super) fn message_id(word: &str, usage: &str) -> Result<i64, ParseError> {
    let digits = word.trim_start_matches('[').trim_end_matches(']');
    match digits.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ParseError::new(format!(
            "{usage} (the id is the number in [brackets] after a message)"
        ))),
    }
}

pub(super) fn required_text(rest: &str, usage: &str) -> Result<String, ParseError> {
    let text = rest.trim();
    if text.is_empty() {
        return Err(ParseError::new(usage));
    }
    Ok(text.to_string())
}

pub(super) fn no_arguments(
    rest: &str,
    command: Command,
    name: &str,
) -> Result<Command, ParseError> {
    if rest.trim().is_empty() {
        Ok(command)
    } else {
        Err(ParseError::new(format!("{name} takes no arguments")))
    }
}
