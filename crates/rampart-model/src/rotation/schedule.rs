//! Rotation schedules: the standard 5-field cron syntax (`minute hour day-of-month month
//! day-of-week`, 0 or 7 = Sunday), evaluated in UTC.
//!
//! The `cron` crate wants a seconds field and numbers days of the week Quartz-style
//! (1 = Sunday), so `0 3 * * 1` given to it verbatim would fire on Sundays. A schedule is
//! translated: `0 ` is prepended and the day-of-week field is rewritten as day names.

use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::str::FromStr;

/// Day names in standard cron order (0 = Sunday), as `cron` spells them.
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A parsed 5-field cron schedule, evaluated in UTC.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use rampart_model::rotation::CronSchedule;
/// let weekly = CronSchedule::parse("0 3 * * 1").unwrap(); // Mondays, 03:00 UTC
/// let sunday = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// assert_eq!(weekly.next_after(sunday), Some(Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap()));
/// ```
#[derive(Debug, Clone)]
pub struct CronSchedule {
    text: String,
    schedule: cron::Schedule,
}

/// Why a schedule is refused; [`ScheduleError::help`] says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not 5 fields (and not 6 or 7 either).
    #[error("`{text}` has {found} fields, not the 5 of a cron schedule")]
    FieldCount {
        /// The schedule as written.
        text: String,
        /// How many whitespace-separated fields it has.
        found: usize,
    },
    /// 6 or 7 fields: a seconds (and year) field, as Quartz and the `cron` crate write it.
    #[error("`{text}` has {found} fields; schedules are 5-field cron, without seconds")]
    SecondsField {
        /// The schedule as written.
        text: String,
        /// 6 or 7.
        found: usize,
    },
    /// Both day-of-month and day-of-week are restricted, which classic cron reads as
    /// "either" and the `cron` crate as "both".
    #[error("`{text}` restricts both the day of the month and the day of the week")]
    DayOfMonthAndWeek {
        /// The schedule as written.
        text: String,
    },
    /// The day-of-week field is not made of `*`, 0-7, SUN-SAT, ranges, lists and steps.
    #[error("`{field}` is not a day-of-week field")]
    DayOfWeek {
        /// The field as written.
        field: String,
    },
    /// The `cron` crate refused the other fields.
    #[error("`{text}` is not a valid cron schedule ({reason})")]
    Invalid {
        /// The schedule as written.
        text: String,
        /// The parser's reason.
        reason: String,
    },
}

impl ScheduleError {
    /// How to fix the schedule.
    pub fn help(&self) -> &'static str {
        match self {
            ScheduleError::FieldCount { .. } | ScheduleError::SecondsField { .. } => {
                "write a 5-field cron schedule in UTC: `minute hour day-of-month month day-of-week`, e.g. `0 3 * * 1` (Mondays 03:00 UTC)"
            }
            ScheduleError::DayOfMonthAndWeek { .. } => {
                "restrict either the day of the month or the day of the week and leave the other `*`, e.g. `0 3 1 * *` or `0 3 * * 1`"
            }
            ScheduleError::DayOfWeek { .. } => {
                "use `*`, 0-7 (0 and 7 are Sunday) or SUN-SAT, with ranges (`1-5`), lists (`1,3`) and steps (`*/2`)"
            }
            ScheduleError::Invalid { .. } => {
                "write a 5-field cron schedule in UTC: minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-7, e.g. `0 3 * * 1`"
            }
        }
    }
}

impl CronSchedule {
    /// Parses a 5-field cron schedule (UTC).
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        match fields.len() {
            5 => {}
            found @ (6 | 7) => {
                return Err(ScheduleError::SecondsField {
                    text: text.to_string(),
                    found,
                });
            }
            found => {
                return Err(ScheduleError::FieldCount {
                    text: text.to_string(),
                    found,
                });
            }
        }
        let (dom, dow) = (fields[2], fields[4]);
        if !dom.starts_with('*') && !dow.starts_with('*') {
            return Err(ScheduleError::DayOfMonthAndWeek {
                text: text.to_string(),
            });
        }
        let days = days_of_week(dow).ok_or_else(|| ScheduleError::DayOfWeek {
            field: dow.to_string(),
        })?;
        let dow = if dow == "*" {
            "*".to_string()
        } else {
            days.iter().map(|d| DAYS[*d]).collect::<Vec<_>>().join(",")
        };
        let translated = format!(
            "0 {} {} {} {} {dow}",
            fields[0], fields[1], fields[2], fields[3]
        );
        let schedule =
            cron::Schedule::from_str(&translated).map_err(|e| ScheduleError::Invalid {
                text: text.to_string(),
                reason: e.to_string(),
            })?;
        Ok(CronSchedule {
            text: text.to_string(),
            schedule,
        })
    }

    /// The schedule as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first time the schedule fires strictly after `t`; `None` if it never does again.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&t).next()
    }
}

impl FromStr for CronSchedule {
    type Err = ScheduleError;
    fn from_str(s: &str) -> Result<Self, ScheduleError> {
        CronSchedule::parse(s)
    }
}

/// The days (0 = Sunday … 6 = Saturday) a standard day-of-week field selects; `None` when
/// it is malformed or selects no day.
fn days_of_week(field: &str) -> Option<BTreeSet<usize>> {
    let mut days = BTreeSet::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, step.parse::<usize>().ok().filter(|s| *s > 0)?),
            None => (item, 1),
        };
        let (first, last) = match range {
            "*" => (0, 7),
            _ => match range.split_once('-') {
                Some((a, b)) => (day(a)?, day(b)?),
                // `5/2` means "from 5 on", as in classic cron.
                None if item.contains('/') => (day(range)?, 7),
                None => (day(range)?, day(range)?),
            },
        };
        if first > last {
            return None;
        }
        days.extend((first..=last).step_by(step).map(|d| d % 7));
    }
    (!days.is_empty()).then_some(days)
}

/// One day: 0-7 (7 = Sunday again) or a three-letter name, any case.
fn day(s: &str) -> Option<usize> {
    if let Ok(n) = s.parse::<usize>() {
        return (n <= 7 && !s.starts_with('+')).then_some(n);
    }
    DAYS.iter().position(|d| d.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Weekday};

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn day_of_week_is_standard_cron_not_quartz() {
        // 2026-03-01 is a Sunday.
        let sunday = at(2026, 3, 1, 12, 0);
        assert_eq!(sunday.weekday(), Weekday::Sun);
        for (schedule, want) in [
            ("0 3 * * 1", at(2026, 3, 2, 3, 0)),
            ("0 3 * * MON", at(2026, 3, 2, 3, 0)),
            ("0 3 * * 0", at(2026, 3, 8, 3, 0)),
            ("0 3 * * 7", at(2026, 3, 8, 3, 0)),
            ("30 4 * * 6", at(2026, 3, 7, 4, 30)),
            ("0 3 * * 5-7", at(2026, 3, 6, 3, 0)),
            ("0 3 * * 2/2", at(2026, 3, 3, 3, 0)),
            ("0 3 * * */3", at(2026, 3, 4, 3, 0)),
            ("0 3 * * sat,wed", at(2026, 3, 4, 3, 0)),
            ("*/15 * * * *", at(2026, 3, 1, 12, 15)),
            ("0 3 1 * *", at(2026, 4, 1, 3, 0)),
            ("0 0 1 1 *", at(2027, 1, 1, 0, 0)),
        ] {
            let s = CronSchedule::parse(schedule).unwrap();
            assert_eq!(s.next_after(sunday), Some(want), "{schedule}");
            assert_eq!(s.as_str(), schedule);
        }
    }

    #[test]
    fn next_after_is_strictly_after() {
        let s = CronSchedule::parse("0 3 * * *").unwrap();
        assert_eq!(
            s.next_after(at(2026, 3, 1, 3, 0)),
            Some(at(2026, 3, 2, 3, 0))
        );
    }

    #[test]
    fn day_of_week_fields() {
        let set = |f: &str| days_of_week(f).map(|d| d.into_iter().collect::<Vec<_>>());
        assert_eq!(set("*"), Some(vec![0, 1, 2, 3, 4, 5, 6]));
        assert_eq!(set("1-5"), Some(vec![1, 2, 3, 4, 5]));
        assert_eq!(set("*/2"), Some(vec![0, 2, 4, 6]));
        assert_eq!(set("5-7"), Some(vec![0, 5, 6]));
        assert_eq!(set("Mon-Wed,fri"), Some(vec![1, 2, 3, 5]));
        for bad in ["8", "?", "L", "1#2", "5-1", "*/0", "", "1,", "mon-", "+1"] {
            assert_eq!(set(bad), None, "{bad}");
        }
    }

    #[test]
    fn malformed_schedules_are_refused_with_the_reason() {
        for (text, want) in [
            (
                "0 0 3 * * 1",
                "`0 0 3 * * 1` has 6 fields; schedules are 5-field cron, without seconds",
            ),
            (
                "0 0 3 * * 1 2026",
                "`0 0 3 * * 1 2026` has 7 fields; schedules are 5-field cron, without seconds",
            ),
            (
                "@weekly",
                "`@weekly` has 1 fields, not the 5 of a cron schedule",
            ),
            ("", "`` has 0 fields, not the 5 of a cron schedule"),
            (
                "0 3 1 * 1",
                "`0 3 1 * 1` restricts both the day of the month and the day of the week",
            ),
            ("0 3 * * 9", "`9` is not a day-of-week field"),
            ("0 3 * * ?", "`?` is not a day-of-week field"),
        ] {
            let err = CronSchedule::parse(text).unwrap_err();
            assert_eq!(err.to_string(), want);
        }
        for text in [
            "61 3 * * *",
            "0 24 * * *",
            "0 3 * 13 *",
            "0 3 32 * *",
            "x 3 * * *",
        ] {
            let err = CronSchedule::parse(text).unwrap_err();
            assert!(
                matches!(err, ScheduleError::Invalid { .. }),
                "{text}: {err:?}"
            );
            assert!(err.help().contains("minute 0-59"), "{text}");
        }
    }
}
