//! Parsing of the time values users type: relative ages (`90s`, `30m`, `1h`, `2d`, `1w`, `1h30m`,
//! meaning that long ago), `now`, RFC 3339 (`2026-11-25T09:30:00Z`), and local wall-clock times
//! (`2026-11-25 09:30`, `2026-11-25 09:30:15`, `2026-11-25`, and `09:30` for today). The one
//! parser behind the one-shot `history`/`search`/`rewind` flags and the REPL's `/rewind`.
//! Pure: the caller passes "now".

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

/// Why a time value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read time {input:?}: use an age like 30m, 1h, 2d, an RFC 3339 time, YYYY-MM-DD HH:MM or HH:MM (local time)"
)]
pub struct TimeSpecError {
    pub input: String,
}

/// Parses `input` into Unix milliseconds, relative to `now_ms` for ages, in the local time zone
/// for wall-clock times.
pub fn parse_time(input: &str, now_ms: i64) -> Result<i64, TimeSpecError> {
    parse_time_in(input, now_ms, &Local)
}

/// Like [`parse_time`], with an explicit time zone for wall-clock times (tests use UTC).
pub fn parse_time_in<Tz: TimeZone>(
    input: &str,
    now_ms: i64,
    zone: &Tz,
) -> Result<i64, TimeSpecError> {
    let text = input.trim();
    let error = || TimeSpecError {
        input: input.to_string(),
    };
    if text.eq_ignore_ascii_case("now") {
        return Ok(now_ms);
    }
    if let Some(age_ms) = parse_age_ms(text) {
        return now_ms.checked_sub(age_ms).ok_or_else(error);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.timestamp_millis());
    }
    let naive = parse_wall_clock(text, now_ms, zone).ok_or_else(error)?;
    // A wall-clock time skipped by a DST change has no local meaning; an ambiguous one takes the earlier.
    zone.from_local_datetime(&naive)
        .earliest()
        .map(|time| time.timestamp_millis())
        .ok_or_else(error)
}

/// Current time in Unix milliseconds (the system clock, [`crate::clock::system_now_ms`]).
pub fn now_ms() -> i64 {
    crate::clock::system_now_ms()
}

/// `30s`, `15m`, `1h`, `2d`, `1w` (also spelled out: `2hours`), and sums such as `1h30m`, in
/// milliseconds.
pub fn parse_age_ms(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let unit_start = rest.find(|c: char| !c.is_ascii_digit())?;
        let count: i64 = rest[..unit_start].parse().ok()?;
        let unit_end = rest[unit_start..]
            .find(|c: char| c.is_ascii_digit())
            .map_or(rest.len(), |offset| unit_start + offset);
        let unit_ms: i64 = match &rest[unit_start..unit_end] {
            "s" | "sec" | "secs" => 1_000,
            "m" | "min" | "mins" => 60_000,
            "h" | "hour" | "hours" => 3_600_000,
            "d" | "day" | "days" => 86_400_000,
            "w" | "week" | "weeks" => 604_800_000,
            _ => return None,
        };
        total = total.checked_add(count.checked_mul(unit_ms)?)?;
        rest = &rest[unit_end..];
    }
    (!text.is_empty()).then_some(total)
}

/// A local date-time, a date (midnight), or a clock time (today in `zone`).
fn parse_wall_clock<Tz: TimeZone>(text: &str, now_ms: i64, zone: &Tz) -> Option<NaiveDateTime> {
    let formats = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ];
    if let Some(moment) = formats
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    {
        return Some(moment);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return date.and_hms_opt(0, 0, 0);
    }
    let time = NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()?;
    let today = zone.timestamp_millis_opt(now_ms).single()?.date_naive();
    Some(today.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    const NOW: i64 = 1_764_064_800_000; // 2025-11-25T10:00:00Z

    #[test]
    fn ages_count_back_from_now() {
        let cases = [
            ("1h", 3_600_000),
            ("30m", 1_800_000),
            ("2d", 172_800_000),
            ("90s", 90_000),
            ("1w", 604_800_000),
            ("1h30m", 5_400_000),
            ("2hours", 7_200_000),
        ];
        for (input, age) in cases {
            assert_eq!(
                parse_time_in(input, NOW, &Utc).unwrap(),
                NOW - age,
                "{input}"
            );
        }
        assert_eq!(parse_time_in("now", NOW, &Utc).unwrap(), NOW);
    }

    #[test]
    fn absolute_times_are_read_in_the_given_zone() {
        assert_eq!(parse_time_in("2025-11-25T10:00:00Z", 0, &Utc).unwrap(), NOW);
        assert_eq!(
            parse_time_in("2025-11-25T11:00:00+01:00", 0, &Utc).unwrap(),
            NOW
        );
        assert_eq!(parse_time_in("2025-11-25 10:00", 0, &Utc).unwrap(), NOW);
        assert_eq!(parse_time_in("2025-11-25 10:00:00", 0, &Utc).unwrap(), NOW);
        assert_eq!(
            parse_time_in("2025-11-25", 0, &Utc).unwrap(),
            NOW - 10 * 3_600_000
        );
        assert_eq!(
            parse_time_in("08:30", NOW, &Utc).unwrap(),
            NOW - 90 * 60_000
        );
        let plus_two = chrono::FixedOffset::east_opt(2 * 3600).unwrap();
        assert_eq!(
            parse_time_in("2025-11-25 12:00", 0, &plus_two).unwrap(),
            NOW
        );
    }

    #[test]
    fn nonsense_is_refused_with_a_hint() {
        let inputs = [
            "",
            "yesterday",
            "1x",
            "h",
            "12",
            "1h30",
            "2025-13-01",
            "25:00",
            "99999999999999999999h",
        ];
        for input in inputs {
            let error = parse_time_in(input, NOW, &Utc).unwrap_err();
            assert!(error.to_string().contains("YYYY-MM-DD HH:MM"), "{input}");
        }
    }
}
