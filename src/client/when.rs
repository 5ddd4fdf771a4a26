//! Time expressions of `/rewind` (and the one-shot tools' `--since`/`--at`): `30m`, `1h`, `2d`
//! ago, `now`, RFC 3339, and local `YYYY-MM-DD HH:MM`, `YYYY-MM-DD` or `HH:MM` (today). Pure
//! code; used by `client::command`, `client::app` and the one-shot commands.

use super::command::ParseError;

/// A point in time from `/rewind` or a `--since`-style flag, as Unix milliseconds.
/// Accepts `90s`, `30m`, `1h`, `2d`, `1w` (ago), `now`, RFC 3339, `YYYY-MM-DD HH:MM[:SS]`,
/// `YYYY-MM-DD` (midnight) and `HH:MM` (today), the last three in local time.
pub fn parse_when(text: &str, now_ms: i64) -> Result<i64, ParseError> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Ok(now_ms);
    }
    if let Some(ago) = parse_duration_ms(text) {
        return Ok(now_ms.saturating_sub(ago));
    }
    if let Ok(parsed) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(parsed.timestamp_millis());
    }
    if let Some(local) = parse_local_datetime(text, now_ms) {
        return Ok(local);
    }
    Err(ParseError::new(format!(
        "cannot read the time {text:?}: use 30m, 1h, 2d (ago), 09:30, 2026-11-25 09:30 or RFC 3339"
    )))
}

/// `30s`, `15m`, `1h`, `2d`, `1w` (also `1h30m`) as milliseconds.
pub fn parse_duration_ms(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut saw_unit = false;
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            number.push(ch);
            continue;
        }
        let unit: i64 = match ch {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 604_800_000,
            _ => return None,
        };
        let value: i64 = number.parse().ok()?;
        total = total.checked_add(value.checked_mul(unit)?)?;
        number.clear();
        saw_unit = true;
    }
    (saw_unit && number.is_empty()).then_some(total)
}

fn parse_local_datetime(text: &str, now_ms: i64) -> Option<i64> {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|date| date.and_hms_opt(0, 0, 0))
        })
        .or_else(|| {
            let time = NaiveTime::parse_from_str(text, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
                .ok()?;
            let today = chrono::Local.timestamp_millis_opt(now_ms).single()?;
            Some(today.date_naive().and_time(time))
        })?;
    chrono::Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|moment| moment.timestamp_millis())
}
