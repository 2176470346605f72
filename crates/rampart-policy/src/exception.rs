//! Exceptions: the entries of the `rampart.dev/ignore` annotation, each a rule, a reason
//! and, optionally, the last day it holds:
//! `"netpol-egress-anywhere: migration of the legacy app; until 2027-03-31"`.
//! Entries are separated by `;` or newlines; an entry `until YYYY-MM-DD` is the expiry of
//! the entry before it, not an entry of its own.

use crate::date::Date;

/// One entry of the ignore annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// The rule it silences.
    pub rule: String,
    /// Why (empty when none was written: then it silences nothing).
    pub reason: String,
    /// The last day it holds, as written.
    pub until: Option<Expiry>,
}

/// The `until` part of an exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    /// A valid date: the exception holds through that day.
    On(Date),
    /// Text that is not a `YYYY-MM-DD` date: the exception silences nothing.
    Unreadable(String),
}

/// How an exception stands on a given day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// It silences its rule.
    Holds,
    /// It silences nothing, and is a finding of its own: why, and how to fix it.
    Invalid {
        /// What is wrong with it.
        problem: String,
        /// How to fix it.
        help: String,
    },
    /// Its date has passed: the findings come back, marked with that date.
    Expired(Date),
}

/// The policy exceptions are judged by: the day it is (none: dates are not judged) and the
/// longest an exception may run from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExceptionPolicy {
    /// Today (UTC); `None` judges no date.
    pub today: Option<Date>,
    /// With `today`: an exception must name an expiry at most this many days away.
    pub max_days: Option<u32>,
}

/// The entries of an ignore annotation's text, in order.
pub fn parse_exceptions(text: &str) -> Vec<Exception> {
    let mut out: Vec<Exception> = Vec::new();
    for entry in text.split([';', '\n']).map(str::trim) {
        if entry.is_empty() {
            continue;
        }
        if let Some(date) = until(entry)
            && let Some(last) = out.last_mut().filter(|e| e.until.is_none())
        {
            last.until = Some(match Date::parse(date) {
                Some(d) => Expiry::On(d),
                None => Expiry::Unreadable(date.to_owned()),
            });
            continue;
        }
        let (rule, reason) = match entry.split_once(':') {
            Some((rule, reason)) => (rule.trim(), reason.trim()),
            None => (entry, ""),
        };
        out.push(Exception {
            rule: rule.to_owned(),
            reason: reason.to_owned(),
            until: None,
        });
    }
    out
}

/// The date text of an `until …` entry.
fn until(entry: &str) -> Option<&str> {
    let rest = entry.strip_prefix("until")?;
    rest.starts_with([' ', '\t', ':'])
        .then(|| rest.trim_start_matches(':').trim())
}

impl Exception {
    /// How this exception stands under `policy`.
    pub fn standing(&self, policy: &ExceptionPolicy) -> Standing {
        let id = &self.rule;
        if self.reason.is_empty() {
            return Standing::Invalid {
                problem: format!("suppresses `{id}` without a reason, so it is not suppressed"),
                help: format!("write `{id}: <why this is acceptable>`, or fix the finding"),
            };
        }
        let date = match &self.until {
            Some(Expiry::Unreadable(text)) => {
                return Standing::Invalid {
                    problem: format!(
                        "suppresses `{id}` until `{text}`, which is not a date, so it is not suppressed"
                    ),
                    help: "write the last day the exception holds as `until YYYY-MM-DD`".into(),
                };
            }
            Some(Expiry::On(date)) => Some(*date),
            None => None,
        };
        let Some(today) = policy.today else {
            return Standing::Holds;
        };
        if let Some(date) = date
            && date < today
        {
            return Standing::Expired(date);
        }
        if let Some(max) = policy.max_days {
            let limit = today.plus_days(i64::from(max));
            let help =
                format!("end the entry with `; until {limit}` (or earlier), or fix the finding");
            match date {
                None => {
                    return Standing::Invalid {
                        problem: format!(
                            "suppresses `{id}` without an expiry date, and exceptions may run at most {max} days, so it is not suppressed"
                        ),
                        help,
                    };
                }
                Some(date) if date > limit => {
                    return Standing::Invalid {
                        problem: format!(
                            "suppresses `{id}` until {date}, more than {max} days away, so it is not suppressed"
                        ),
                        help,
                    };
                }
                Some(_) => {}
            }
        }
        Standing::Holds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn until_is_the_expiry_of_the_entry_before_it() {
        let parsed = parse_exceptions(
            "netpol-egress-anywhere: migration of the legacy app; until 2027-03-31\nimage-digest: pinned by the webhook",
        );
        assert_eq!(
            parsed,
            [
                Exception {
                    rule: "netpol-egress-anywhere".into(),
                    reason: "migration of the legacy app".into(),
                    until: Some(Expiry::On(date("2027-03-31"))),
                },
                Exception {
                    rule: "image-digest".into(),
                    reason: "pinned by the webhook".into(),
                    until: None,
                },
            ]
        );
        // On a line of its own, and with a colon; an unreadable date is kept as written.
        let parsed = parse_exceptions("a: r\nuntil: 2027-01-02\nb: s; until 31/03/2027");
        assert_eq!(parsed[0].until, Some(Expiry::On(date("2027-01-02"))));
        assert_eq!(
            parsed[1].until,
            Some(Expiry::Unreadable("31/03/2027".into()))
        );
        // A rule whose name begins with "until" is still a rule.
        assert_eq!(parse_exceptions("untiled: r")[0].rule, "untiled");
    }

    #[test]
    fn standing_before_on_and_after_the_date() {
        let exception = &parse_exceptions("r: why; until 2027-03-31")[0];
        let on = |today: &str, max_days| ExceptionPolicy {
            today: Some(date(today)),
            max_days,
        };
        let table = [
            ("the day before", on("2027-03-30", None), Standing::Holds),
            ("the last day", on("2027-03-31", None), Standing::Holds),
            (
                "the day after",
                on("2027-04-01", None),
                Standing::Expired(date("2027-03-31")),
            ),
            ("no clock", ExceptionPolicy::default(), Standing::Holds),
            (
                "within the maximum",
                on("2027-03-01", Some(30)),
                Standing::Holds,
            ),
        ];
        for (case, policy, expected) in table {
            assert_eq!(exception.standing(&policy), expected, "{case}");
        }
        let too_far = exception.standing(&on("2027-02-28", Some(30)));
        assert!(
            matches!(&too_far, Standing::Invalid { problem, help }
                if problem.contains("until 2027-03-31, more than 30 days away")
                    && help.contains("`; until 2027-03-30`")),
            "{too_far:?}"
        );
        let undated = parse_exceptions("r: why")[0].standing(&on("2027-02-28", Some(30)));
        assert!(
            matches!(&undated, Standing::Invalid { problem, .. } if problem.contains("without an expiry date")),
            "{undated:?}"
        );
        let unreadable =
            parse_exceptions("r: why; until soon")[0].standing(&on("2027-02-28", None));
        assert!(
            matches!(&unreadable, Standing::Invalid { problem, .. } if problem.contains("`soon`, which is not a date")),
            "{unreadable:?}"
        );
    }
}
