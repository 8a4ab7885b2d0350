//! Event dates: the EDTF (ISO 8601-2) subset demarche accepts, parsed without panics from any string.
//! Every date keeps its original text byte for byte and resolves to UTC millisecond bounds that
//! drive timeline order, range filtering and human display.

use std::cmp::Reverse;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Earliest bound of a date whose start is open (`..`) or unknown (empty).
pub const OPEN_START: i64 = i64::MIN;
/// Latest bound of a date whose end is open (`..`) or unknown (empty).
pub const OPEN_END: i64 = i64::MAX;

const EXPECTED: &str = "expected a form like 2017, 2017-03, 2017-03-09, 2017-09-13T12:59:00Z, \
     2017-03?, 201X, 2017-03/2017-05-10 or 2017-05-09/..";

const MS_PER_DAY: i64 = 86_400_000;

// Error messages echo hostile input; a cap keeps a megabyte of junk out of the terminal.
const MAX_QUOTED_CHARS: usize = 80;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// EDTF qualifier on a whole year/month/day date: `?`, `~` or `%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Qualifier {
    /// `?`
    Uncertain,
    /// `~`
    Approximate,
    /// `%`: uncertain and approximate.
    Both,
}

impl Qualifier {
    fn from_byte(b: u8) -> Option<Qualifier> {
        match b {
            b'?' => Some(Qualifier::Uncertain),
            b'~' => Some(Qualifier::Approximate),
            b'%' => Some(Qualifier::Both),
            _ => None,
        }
    }

    /// The EDTF character for this qualifier.
    pub fn as_char(self) -> char {
        match self {
            Qualifier::Uncertain => '?',
            Qualifier::Approximate => '~',
            Qualifier::Both => '%',
        }
    }

    fn is_uncertain(self) -> bool {
        matches!(self, Qualifier::Uncertain | Qualifier::Both)
    }

    fn is_approximate(self) -> bool {
        matches!(self, Qualifier::Approximate | Qualifier::Both)
    }
}

/// How finely one end of a date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    Year,
    Month,
    Day,
    Instant,
}

/// One end of an interval.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum End {
    /// `..`: unbounded.
    Open,
    /// Empty: there is a bound, but nobody knows it.
    Unknown,
    Point(Point),
}

impl End {
    /// The dated point, if this end has one.
    pub fn point(&self) -> Option<&Point> {
        match self {
            End::Point(p) => Some(p),
            End::Open | End::Unknown => None,
        }
    }

    fn earliest(&self) -> i64 {
        self.point().map_or(OPEN_START, Point::earliest)
    }

    fn latest(&self) -> i64 {
        self.point().map_or(OPEN_END, Point::latest)
    }

    fn is_qualified(&self) -> bool {
        self.point().is_some_and(|p| p.qualifier.is_some())
    }
}

/// A single non-interval date: a year, month or day (possibly qualified or with unspecified
/// digits) or an exact instant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Point {
    earliest: i64,
    latest: i64,
    precision: Precision,
    qualifier: Option<Qualifier>,
    shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    Civil {
        /// Known leading digits padded with zeros, e.g. 2010 for `201X`.
        year: i32,
        /// How many trailing year digits are `X`.
        year_unspecified: u32,
        month: Field,
        day: Field,
    },
    Instant {
        offset: Offset,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Absent,
    Unspecified,
    Known(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Offset {
    Utc,
    /// Seconds east of UTC, as written (`+00:00` stays distinct from `Z` for display).
    Fixed(i32),
}

/// Calendar parts of a point at its real precision (UTC for instants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateParts {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
    pub hour: Option<u32>,
    pub minute: Option<u32>,
    pub second: Option<u32>,
}

impl Point {
    /// Start of the first day covered (or the instant), ms since the epoch, UTC.
    pub fn earliest(&self) -> i64 {
        self.earliest
    }

    /// Last millisecond of the last day covered (or the instant), ms since the epoch, UTC.
    pub fn latest(&self) -> i64 {
        self.latest
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    pub fn qualifier(&self) -> Option<Qualifier> {
        self.qualifier
    }

    /// Parts at the point's real precision, for TimelineJS: year always, month and day when
    /// known, hour/minute/second (UTC) only for instants. Unspecified years give their first
    /// year (`201X` → 2010).
    pub fn parts(&self) -> DateParts {
        let Some(utc) = DateTime::from_timestamp_millis(self.earliest) else {
            return DateParts::default();
        };
        let mut parts = DateParts {
            year: utc.year(),
            ..DateParts::default()
        };
        if matches!(
            self.precision,
            Precision::Month | Precision::Day | Precision::Instant
        ) {
            parts.month = Some(utc.month());
        }
        if matches!(self.precision, Precision::Day | Precision::Instant) {
            parts.day = Some(utc.day());
        }
        if self.precision == Precision::Instant {
            parts.hour = Some(utc.hour());
            parts.minute = Some(utc.minute());
            parts.second = Some(utc.second());
        }
        parts
    }

    fn display(&self) -> String {
        match self.shape {
            Shape::Instant { offset } => display_instant(self.earliest, offset),
            Shape::Civil {
                year,
                year_unspecified,
                month,
                day,
            } => {
                let mut notes: Vec<&str> = Vec::new();
                let base = if year_unspecified > 0 {
                    display_unspecified_year(year, year_unspecified)
                } else {
                    match (month, day) {
                        (Field::Known(m), Field::Known(d)) => {
                            format!("{d} {} {year:04}", month_name(m))
                        }
                        (Field::Known(m), Field::Unspecified) => {
                            notes.push("day unknown");
                            format!("{} {year:04}", month_name(m))
                        }
                        (Field::Known(m), Field::Absent) => format!("{} {year:04}", month_name(m)),
                        (Field::Unspecified, Field::Unspecified) => {
                            notes.push("month and day unknown");
                            format!("{year:04}")
                        }
                        (Field::Unspecified, _) => {
                            notes.push("month unknown");
                            format!("{year:04}")
                        }
                        (Field::Absent, _) => format!("{year:04}"),
                    }
                };
                let approximate = self.qualifier.is_some_and(Qualifier::is_approximate);
                if self.qualifier.is_some_and(Qualifier::is_uncertain) {
                    notes.push("uncertain");
                }
                let mut out = String::new();
                if approximate {
                    out.push_str("about ");
                }
                out.push_str(&base);
                if !notes.is_empty() {
                    out.push_str(" (");
                    out.push_str(&notes.join(", "));
                    out.push(')');
                }
                out
            }
        }
    }
}

fn month_name(m: u32) -> &'static str {
    m.checked_sub(1)
        .and_then(|i| MONTHS.get(i as usize))
        .copied()
        .unwrap_or("?")
}

fn display_unspecified_year(first: i32, unspecified: u32) -> String {
    if unspecified == 1 {
        format!("the {first:04}s")
    } else {
        // "the 2000s" would read as a decade, so wider spans are spelled out.
        let span = 10_i32.pow(unspecified.min(3));
        format!("the years {first:04} to {:04}", first + span - 1)
    }
}

fn display_instant(utc_ms: i64, offset: Offset) -> String {
    let (secs, label) = match offset {
        Offset::Utc => (0, "UTC".to_owned()),
        Offset::Fixed(secs) => {
            let sign = if secs < 0 { '-' } else { '+' };
            let abs = secs.unsigned_abs();
            (
                secs,
                format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60),
            )
        }
    };
    let local = utc_ms
        .checked_add(i64::from(secs) * 1000)
        .and_then(DateTime::from_timestamp_millis)
        .map(|dt| dt.naive_utc());
    let Some(local) = local else {
        return format!("{utc_ms} ms {label}");
    };
    let mut clock = format!("{:02}:{:02}", local.hour(), local.minute());
    let ms = local.nanosecond() / 1_000_000;
    if local.second() != 0 || ms != 0 {
        clock.push_str(&format!(":{:02}", local.second()));
    }
    if ms != 0 {
        clock.push_str(&format!(".{ms:03}"));
    }
    format!(
        "{} {} {:04}, {clock} {label}",
        local.day(),
        month_name(local.month()),
        local.year()
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Form {
    Single(Point),
    Interval(End, End),
}

/// A parsed event date: its original text, its parsed form and cached UTC bounds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdtfDate {
    text: String,
    form: Form,
    earliest: i64,
    latest: i64,
}

/// A value that is not an accepted date; the message quotes it and lists the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date {}: {reason} ({})", quote(.value), EXPECTED)]
pub struct DateError {
    pub value: String,
    pub reason: String,
}

fn quote(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED_CHARS) {
        // Debug quoting escapes quotes and control characters that would garble the message.
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    }
}

/// Timeline sort key: earliest ascending, wider first, unqualified first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderKey {
    pub earliest: i64,
    pub latest_desc: Reverse<i64>,
    pub qualified: bool,
}

const SIGN_BIT: u64 = 1 << 63;

impl OrderKey {
    /// 17 bytes whose memcmp order equals the `Ord` order, for use as a key in an ordered store.
    pub fn to_bytes(&self) -> [u8; 17] {
        let mut out = [0u8; 17];
        out[..8].copy_from_slice(&((self.earliest as u64) ^ SIGN_BIT).to_be_bytes());
        out[8..16].copy_from_slice(&(!((self.latest_desc.0 as u64) ^ SIGN_BIT)).to_be_bytes());
        out[16] = u8::from(self.qualified);
        out
    }

    /// Inverse of [`OrderKey::to_bytes`]; `None` unless given exactly 17 bytes ending in 0 or 1.
    pub fn from_bytes(b: &[u8]) -> Option<OrderKey> {
        let bytes: &[u8; 17] = b.try_into().ok()?;
        let mut earliest = [0u8; 8];
        earliest.copy_from_slice(&bytes[..8]);
        let mut latest = [0u8; 8];
        latest.copy_from_slice(&bytes[8..16]);
        let qualified = match bytes[16] {
            0 => false,
            1 => true,
            _ => return None,
        };
        Some(OrderKey {
            earliest: (u64::from_be_bytes(earliest) ^ SIGN_BIT) as i64,
            latest_desc: Reverse((!u64::from_be_bytes(latest) ^ SIGN_BIT) as i64),
            qualified,
        })
    }
}

/// A `--since`/`--until` filter window.
#[derive(Debug, Clone, Default)]
pub struct DateRange {
    pub since: Option<EdtfDate>,
    pub until: Option<EdtfDate>,
}

impl DateRange {
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Inclusive window: from the earliest bound of `since` to the latest bound of `until`,
    /// so `--until 2017-03` still includes 31 March.
    pub fn window(&self) -> (i64, i64) {
        (
            self.since.as_ref().map_or(OPEN_START, EdtfDate::earliest),
            self.until.as_ref().map_or(OPEN_END, EdtfDate::latest),
        )
    }
}

/// How a date that overlaps a range lies within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Within {
    Certain,
    Possible,
}

impl EdtfDate {
    pub fn parse(s: &str) -> Result<EdtfDate, DateError> {
        match parse_form(s) {
            Ok(form) => {
                let (earliest, latest) = match &form {
                    Form::Single(p) => (p.earliest, p.latest),
                    Form::Interval(start, end) => (start.earliest(), end.latest()),
                };
                Ok(EdtfDate {
                    text: s.to_owned(),
                    form,
                    earliest,
                    latest,
                })
            }
            Err(reason) => Err(DateError {
                value: s.to_owned(),
                reason,
            }),
        }
    }

    /// The original string, byte for byte.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Ms since the epoch (UTC); [`OPEN_START`] when the start is open or unknown.
    pub fn earliest(&self) -> i64 {
        self.earliest
    }

    /// Ms since the epoch (UTC); [`OPEN_END`] when the end is open or unknown.
    pub fn latest(&self) -> i64 {
        self.latest
    }

    pub fn is_qualified(&self) -> bool {
        match &self.form {
            Form::Single(p) => p.qualifier.is_some(),
            Form::Interval(start, end) => start.is_qualified() || end.is_qualified(),
        }
    }

    pub fn is_interval(&self) -> bool {
        matches!(self.form, Form::Interval(..))
    }

    /// The start; for a non-interval date the date itself.
    pub fn start(&self) -> End {
        match &self.form {
            Form::Single(p) => End::Point(p.clone()),
            Form::Interval(start, _) => start.clone(),
        }
    }

    /// The end; for a non-interval date the date itself.
    pub fn end(&self) -> End {
        match &self.form {
            Form::Single(p) => End::Point(p.clone()),
            Form::Interval(_, end) => end.clone(),
        }
    }

    /// Timeline sort key; callers break remaining ties themselves.
    pub fn order_key(&self) -> OrderKey {
        OrderKey {
            earliest: self.earliest,
            latest_desc: Reverse(self.latest),
            qualified: self.is_qualified(),
        }
    }

    /// English rendering, e.g. "March 2017", "about 9 May 2017 (uncertain)",
    /// "13 September 2017, 12:59 -04:00", "March 2017 – 10 May 2017", "from 9 May 2017".
    pub fn display(&self) -> String {
        match &self.form {
            Form::Single(p) => p.display(),
            Form::Interval(start, end) => match (start, end) {
                (End::Point(a), End::Point(b)) => format!("{} – {}", a.display(), b.display()),
                (End::Point(a), End::Open) => format!("from {}", a.display()),
                (End::Point(a), End::Unknown) => format!("from {} (end unknown)", a.display()),
                (End::Open, End::Point(b)) => format!("until {}", b.display()),
                (End::Unknown, End::Point(b)) => format!("until {} (start unknown)", b.display()),
                // The parser rejects intervals with no dated end.
                _ => self.text.clone(),
            },
        }
    }

    /// Where this date lies relative to `range`; `None` when their bounds do not intersect.
    pub fn within(&self, range: &DateRange) -> Option<Within> {
        let (lo, hi) = range.window();
        if self.latest < lo || self.earliest > hi {
            None
        } else if self.earliest >= lo && self.latest <= hi && !self.is_qualified() {
            Some(Within::Certain)
        } else {
            Some(Within::Possible)
        }
    }

    /// UTC calendar day ("YYYY-MM-DD") of the earliest bound; `None` for an open/unknown start.
    /// An offset can push an instant at the edge of 0000 or 9999 into a signed year ("+10000-01-01").
    pub fn first_day(&self) -> Option<String> {
        match &self.form {
            Form::Interval(End::Open | End::Unknown, _) => None,
            _ => utc_day(self.earliest),
        }
    }

    /// UTC calendar day ("YYYY-MM-DD") of the latest bound; `None` for an open/unknown end.
    pub fn last_day(&self) -> Option<String> {
        match &self.form {
            Form::Interval(_, End::Open | End::Unknown) => None,
            _ => utc_day(self.latest),
        }
    }
}

/// The UTC calendar day ("YYYY-MM-DD") of an instant in ms; `None` when
/// out of range. [`EdtfDate::first_day`] and [`EdtfDate::last_day`] use it.
pub fn utc_day(ms: i64) -> Option<String> {
    DateTime::from_timestamp_millis(ms).map(|dt| dt.format("%Y-%m-%d").to_string())
}

impl fmt::Display for EdtfDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for EdtfDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EdtfDate::parse(s)
    }
}

impl Serialize for EdtfDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for EdtfDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        EdtfDate::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing. Everything below returns a bare reason; `EdtfDate::parse` attaches the value.
// All indexing goes through `get` or follows a length check so no input can panic.

fn parse_form(s: &str) -> Result<Form, String> {
    if s.is_empty() {
        return Err("the value is empty".into());
    }
    if s.chars().any(char::is_whitespace) {
        return Err("it contains whitespace (values are not trimmed)".into());
    }
    if !s.is_ascii() {
        return Err("it contains non-ASCII characters".into());
    }
    let Some((a, b)) = s.split_once('/') else {
        if s == ".." {
            return Err(
                "\"..\" (open) only makes sense as one end of an interval, as in 2017-05-09/.."
                    .into(),
            );
        }
        return parse_point(s).map(Form::Single);
    };
    if b.contains('/') {
        return Err("an interval has exactly one '/'".into());
    }
    let start = parse_end(a).map_err(|r| format!("start {a:?}: {r}"))?;
    let end = parse_end(b).map_err(|r| format!("end {b:?}: {r}"))?;
    match (&start, &end) {
        (End::Point(p), End::Point(q)) if p.earliest > q.latest => {
            Err(format!("the interval's start {a} is after its end {b}"))
        }
        (End::Point(_), _) | (_, End::Point(_)) => Ok(Form::Interval(start, end)),
        _ => Err("an interval needs at least one dated end".into()),
    }
}

fn parse_end(s: &str) -> Result<End, String> {
    match s {
        "" => Ok(End::Unknown),
        ".." => Ok(End::Open),
        _ => parse_point(s).map(End::Point),
    }
}

fn parse_point(s: &str) -> Result<Point, String> {
    if let Some((date, time)) = s.split_once('T') {
        return parse_instant(date, time);
    }
    let bytes = s.as_bytes();
    let (core, qualifier) = match bytes.last().copied().and_then(Qualifier::from_byte) {
        Some(q) => (s.get(..s.len() - 1).unwrap_or(""), Some(q)),
        None => (s, None),
    };
    if core.bytes().any(|b| Qualifier::from_byte(b).is_some()) {
        let doubled = core
            .as_bytes()
            .last()
            .is_some_and(|&b| Qualifier::from_byte(b).is_some());
        return Err(if doubled {
            "only one qualifier is allowed (use % for uncertain and approximate)".into()
        } else {
            "a qualifier (? ~ %) may only stand at the end of the date".into()
        });
    }
    if core.is_empty() {
        return Err("a qualifier needs a date before it".into());
    }
    let civil = parse_civil(core)?;
    civil.into_point(qualifier)
}

struct Civil {
    year: i32,
    year_unspecified: u32,
    month: Field,
    day: Field,
}

fn parse_civil(core: &str) -> Result<Civil, String> {
    if core.is_empty() {
        return Err("not a recognised date form".into());
    }
    if !core
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'X' || b == b'-')
    {
        return Err("not a recognised date form".into());
    }
    let mut parts = core.split('-');
    let year_text = parts.next().unwrap_or("");
    let month_text = parts.next();
    let day_text = parts.next();
    if parts.next().is_some() {
        return Err("too many '-' separated parts".into());
    }

    if year_text.len() != 4 {
        return Err("the year must have exactly 4 digits (0000 to 9999)".into());
    }
    let known = year_text.bytes().take_while(u8::is_ascii_digit).count();
    let year_unspecified = (4 - known) as u32;
    if !year_text.bytes().skip(known).all(|b| b == b'X') {
        return Err("unspecified digits (X) must be the rightmost ones".into());
    }
    if year_unspecified == 4 {
        return Err("at least the first digit of the year must be known".into());
    }
    let year = digits_value(year_text.get(..known).unwrap_or(""))
        .map(|v| v * 10_i32.pow(year_unspecified))
        .ok_or_else(|| "the year must have exactly 4 digits (0000 to 9999)".to_owned())?;

    if year_unspecified > 0 && month_text.is_some() {
        return Err(
            "unspecified digits (X) must be the rightmost ones: a year with X cannot be \
             followed by a month or day"
                .into(),
        );
    }

    let month = match month_text {
        None => Field::Absent,
        Some(t) => match two_digit_field(t, "month")? {
            Field::Known(m) if !(1..=12).contains(&m) => {
                return Err(format!("month {t} is out of range"));
            }
            f => f,
        },
    };

    let day = match day_text {
        None => Field::Absent,
        Some(t) => match (two_digit_field(t, "day")?, month) {
            (Field::Known(_), Field::Unspecified) => {
                return Err(
                    "unspecified digits (X) must be the rightmost ones: a known day \
                     cannot follow an unknown month"
                        .into(),
                );
            }
            (Field::Known(d), Field::Known(m)) => {
                if d < 1 || d > days_in_month(year, m) {
                    return Err(format!(
                        "day {t} is out of range for {} {year:04}",
                        month_name(m)
                    ));
                }
                Field::Known(d)
            }
            (f, _) => f,
        },
    };

    Ok(Civil {
        year,
        year_unspecified,
        month,
        day,
    })
}

impl Civil {
    fn into_point(self, qualifier: Option<Qualifier>) -> Result<Point, String> {
        let last_year = self.year + 10_i32.pow(self.year_unspecified) - 1;
        let (first_month, last_month) = match self.month {
            Field::Known(m) => (m, m),
            Field::Absent | Field::Unspecified => (1, 12),
        };
        let (first_day, last_day) = match self.day {
            Field::Known(d) => (d, d),
            Field::Absent | Field::Unspecified => (1, days_in_month(last_year, last_month)),
        };
        let earliest = day_start_ms(self.year, first_month, first_day)?;
        let latest = day_start_ms(last_year, last_month, last_day)? + MS_PER_DAY - 1;
        let precision = match (self.year_unspecified, self.month, self.day) {
            (0, Field::Known(_), Field::Known(_)) => Precision::Day,
            (0, Field::Known(_), _) => Precision::Month,
            _ => Precision::Year,
        };
        Ok(Point {
            earliest,
            latest,
            precision,
            qualifier,
            shape: Shape::Civil {
                year: self.year,
                year_unspecified: self.year_unspecified,
                month: self.month,
                day: self.day,
            },
        })
    }
}

fn digits_value(s: &str) -> Option<i32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn two_digit_field(t: &str, what: &str) -> Result<Field, String> {
    if t == "XX" {
        return Ok(Field::Unspecified);
    }
    match two_digits(t.as_bytes()) {
        Some(v) if t.len() == 2 => Ok(Field::Known(v)),
        _ => Err(format!("the {what} must be two digits or XX")),
    }
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match (b.first(), b.get(1)) {
        (Some(&a), Some(&c)) if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    (28..=31)
        .rev()
        .find(|&d| NaiveDate::from_ymd_opt(year, month, d).is_some())
        .unwrap_or(28)
}

fn day_start_ms(year: i32, month: u32, day: u32) -> Result<i64, String> {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp_millis())
        .ok_or_else(|| format!("{year:04}-{month:02}-{day:02} is not a calendar date"))
}

fn parse_instant(date: &str, time: &str) -> Result<Point, String> {
    if date
        .bytes()
        .chain(time.bytes())
        .any(|b| Qualifier::from_byte(b).is_some())
    {
        return Err(
            "qualifiers (? ~ %) apply only to year, month or day dates, not to date-times".into(),
        );
    }
    let civil = parse_civil(date)?;
    let (year, month, day) = match civil {
        Civil {
            year,
            year_unspecified: 0,
            month: Field::Known(m),
            day: Field::Known(d),
        } => (year, m, d),
        _ => return Err("a date-time needs a full date like 2017-09-13 before the T".into()),
    };
    if time.is_empty() {
        return Err("a time like 12:59:00Z must follow the T".into());
    }
    let (clock, offset) = split_offset(time)?;
    let (hour, minute, second, milli) = parse_clock(clock)?;
    let offset_secs = match offset {
        Offset::Utc => 0,
        Offset::Fixed(s) => s,
    };
    let local = NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_milli_opt(hour, minute, second, milli))
        .map(|dt: NaiveDateTime| dt.and_utc().timestamp_millis())
        .ok_or_else(|| "not a valid date-time".to_owned())?;
    let utc = local
        .checked_sub(i64::from(offset_secs) * 1000)
        .ok_or_else(|| "not a valid date-time".to_owned())?;
    Ok(Point {
        earliest: utc,
        latest: utc,
        precision: Precision::Instant,
        qualifier: None,
        shape: Shape::Instant { offset },
    })
}

fn split_offset(time: &str) -> Result<(&str, Offset), String> {
    if let Some(clock) = time.strip_suffix('Z') {
        return Ok((clock, Offset::Utc));
    }
    let Some(at) = time.rfind(['+', '-']) else {
        return Err(
            "the time-zone offset is missing: add Z for UTC or an offset like -04:00 \
             (as in 2017-09-13T12:59:00Z)"
                .into(),
        );
    };
    let clock = time.get(..at).unwrap_or("");
    let b = time.get(at..).unwrap_or("").as_bytes();
    let bad = || "the offset must look like Z, +02:00 or -04:00".to_owned();
    if b.len() != 6 || b.get(3) != Some(&b':') {
        return Err(bad());
    }
    let hours = b.get(1..3).and_then(two_digits).ok_or_else(bad)?;
    let minutes = b.get(4..6).and_then(two_digits).ok_or_else(bad)?;
    if hours > 23 || minutes > 59 {
        return Err(bad());
    }
    let magnitude = (hours * 3600 + minutes * 60) as i32;
    let secs = if b.first() == Some(&b'-') {
        -magnitude
    } else {
        magnitude
    };
    Ok((clock, Offset::Fixed(secs)))
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f…` (1 to 9 fraction digits, truncated to milliseconds).
fn parse_clock(clock: &str) -> Result<(u32, u32, u32, u32), String> {
    let b = clock.as_bytes();
    let bad = || "the time must look like 12:59, 12:59:00 or 12:59:00.123".to_owned();
    let hour = b.get(0..2).and_then(two_digits).ok_or_else(bad)?;
    if b.get(2) != Some(&b':') {
        return Err(bad());
    }
    let minute = b.get(3..5).and_then(two_digits).ok_or_else(bad)?;
    let (second, milli) = match b.len() {
        5 => (0, 0),
        8.. if b.get(5) == Some(&b':') => {
            let second = b.get(6..8).and_then(two_digits).ok_or_else(bad)?;
            let milli = match b.get(8..) {
                Some([]) | None => 0,
                Some([b'.', frac @ ..])
                    if (1..=9).contains(&frac.len()) && frac.iter().all(u8::is_ascii_digit) =>
                {
                    frac.iter()
                        .chain(std::iter::repeat(&b'0'))
                        .take(3)
                        .fold(0, |acc, &d| acc * 10 + u32::from(d - b'0'))
                }
                Some(_) => return Err(bad()),
            };
            (second, milli)
        }
        _ => return Err(bad()),
    };
    if hour > 23 {
        return Err(format!("hour {hour:02} is out of range"));
    }
    if minute > 59 {
        return Err(format!("minute {minute:02} is out of range"));
    }
    if second > 59 {
        return Err(format!("second {second:02} is out of range"));
    }
    Ok((hour, minute, second, milli))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("valid test instant")
            .timestamp_millis()
    }

    fn day_start(y: i32, mo: u32, d: u32) -> i64 {
        ms(y, mo, d, 0, 0, 0)
    }

    fn day_end(y: i32, mo: u32, d: u32) -> i64 {
        ms(y, mo, d, 23, 59, 59) + 999
    }

    fn p(s: &str) -> EdtfDate {
        EdtfDate::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn bounds(s: &str) -> (i64, i64) {
        let d = p(s);
        (d.earliest(), d.latest())
    }

    fn point(e: End) -> Point {
        match e {
            End::Point(p) => p,
            other => panic!("expected a point, got {other:?}"),
        }
    }

    // ---- accepted forms -------------------------------------------------------------------

    #[test]
    fn year_month_day_bounds() {
        assert_eq!(
            bounds("2017"),
            (day_start(2017, 1, 1), day_end(2017, 12, 31))
        );
        assert_eq!(
            bounds("2017-03"),
            (day_start(2017, 3, 1), day_end(2017, 3, 31))
        );
        assert_eq!(
            bounds("2017-12"),
            (day_start(2017, 12, 1), day_end(2017, 12, 31))
        );
        assert_eq!(
            bounds("2017-03-09"),
            (day_start(2017, 3, 9), day_end(2017, 3, 9))
        );
        assert_eq!(
            bounds("2017-12-31"),
            (day_start(2017, 12, 31), day_end(2017, 12, 31))
        );
        assert_eq!(bounds("0000"), (day_start(0, 1, 1), day_end(0, 12, 31)));
        assert_eq!(
            bounds("9999-12-31"),
            (day_start(9999, 12, 31), day_end(9999, 12, 31))
        );
        assert_eq!(bounds("1970-01-01").0, 0);
    }

    #[test]
    fn leap_years() {
        assert_eq!(
            bounds("2016-02"),
            (day_start(2016, 2, 1), day_end(2016, 2, 29))
        );
        assert_eq!(
            bounds("2017-02"),
            (day_start(2017, 2, 1), day_end(2017, 2, 28))
        );
        assert_eq!(
            bounds("2016-02-29"),
            (day_start(2016, 2, 29), day_end(2016, 2, 29))
        );
        assert_eq!(
            bounds("2000-02-29"),
            (day_start(2000, 2, 29), day_end(2000, 2, 29))
        );
        assert_eq!(bounds("1900-02").1, day_end(1900, 2, 28));
        assert_eq!(bounds("2000-02-XX").1, day_end(2000, 2, 29));
    }

    #[test]
    fn date_times_convert_to_utc() {
        let at = ms(2017, 9, 13, 16, 59, 0);
        assert_eq!(bounds("2017-09-13T12:59:00-04:00"), (at, at));
        assert_eq!(bounds("2017-09-13T16:59:00Z"), (at, at));
        assert_eq!(bounds("2017-09-13T16:59Z"), (at, at));
        assert_eq!(bounds("2017-09-13T12:59-04:00"), (at, at));
        assert_eq!(bounds("2017-09-13T22:29:00+05:30"), (at, at));
        assert_eq!(bounds("2017-09-13T16:59:00+00:00"), (at, at));
        assert_eq!(bounds("2017-09-13T16:59:00-00:00"), (at, at));
        // Offsets that move the instant across a day and a year boundary.
        let ny = ms(2018, 1, 1, 1, 30, 0);
        assert_eq!(bounds("2017-12-31T23:30:00-02:00"), (ny, ny));
        let back = ms(2016, 12, 31, 22, 0, 0);
        assert_eq!(bounds("2017-01-01T01:00+03:00"), (back, back));
    }

    #[test]
    fn fractional_seconds() {
        let at = ms(2017, 9, 13, 16, 59, 0);
        assert_eq!(p("2017-09-13T16:59:00.123Z").earliest(), at + 123);
        assert_eq!(p("2017-09-13T16:59:00.1Z").earliest(), at + 100);
        assert_eq!(p("2017-09-13T16:59:00.12Z").earliest(), at + 120);
        // Beyond milliseconds the instant is truncated, never rounded into the next second.
        assert_eq!(p("2017-09-13T16:59:00.999999999Z").earliest(), at + 999);
        assert_eq!(p("2017-09-13T12:59:00.5-04:00").latest(), at + 500);
    }

    #[test]
    fn qualifiers_keep_bounds() {
        for q in ["?", "~", "%"] {
            assert_eq!(bounds(&format!("2017-03{q}")), bounds("2017-03"));
            assert_eq!(bounds(&format!("2017{q}")), bounds("2017"));
            assert_eq!(bounds(&format!("2017-03-09{q}")), bounds("2017-03-09"));
            assert!(p(&format!("2017{q}")).is_qualified());
        }
        let q = |s: &str| point(p(s).start()).qualifier();
        assert_eq!(q("2017-03?"), Some(Qualifier::Uncertain));
        assert_eq!(q("2017-03~"), Some(Qualifier::Approximate));
        assert_eq!(q("2017-03%"), Some(Qualifier::Both));
        assert_eq!(q("2017-03"), None);
        assert!(!p("2017-03").is_qualified());
    }

    #[test]
    fn unspecified_digits() {
        assert_eq!(
            bounds("201X"),
            (day_start(2010, 1, 1), day_end(2019, 12, 31))
        );
        assert_eq!(
            bounds("20XX"),
            (day_start(2000, 1, 1), day_end(2099, 12, 31))
        );
        assert_eq!(
            bounds("2XXX"),
            (day_start(2000, 1, 1), day_end(2999, 12, 31))
        );
        assert_eq!(bounds("2017-XX"), bounds("2017"));
        assert_eq!(bounds("2017-XX-XX"), bounds("2017"));
        assert_eq!(bounds("2017-05-XX"), bounds("2017-05"));
        assert_eq!(bounds("201X?"), bounds("201X"));
        assert!(p("201X~").is_qualified());
        let prec = |s: &str| point(p(s).start()).precision();
        assert_eq!(prec("201X"), Precision::Year);
        assert_eq!(prec("2017-XX"), Precision::Year);
        assert_eq!(prec("2017-05-XX"), Precision::Month);
        assert_eq!(prec("2017-05"), Precision::Month);
        assert_eq!(prec("2017-05-01"), Precision::Day);
        assert_eq!(prec("2017-05-01T00:00Z"), Precision::Instant);
    }

    #[test]
    fn intervals() {
        let d = p("2017-03/2017-05-10");
        assert!(d.is_interval());
        assert_eq!(
            (d.earliest(), d.latest()),
            (day_start(2017, 3, 1), day_end(2017, 5, 10))
        );
        assert_eq!(point(d.start()).precision(), Precision::Month);
        assert_eq!(point(d.end()).precision(), Precision::Day);

        let d = p("2017-09-13T12:59:00-04:00/2017-09-14");
        assert_eq!(
            (d.earliest(), d.latest()),
            (ms(2017, 9, 13, 16, 59, 0), day_end(2017, 9, 14))
        );
        let d = p("201X?/2021~");
        assert_eq!(
            (d.earliest(), d.latest()),
            (day_start(2010, 1, 1), day_end(2021, 12, 31))
        );
        assert!(d.is_qualified());
        // Only the end is qualified: still counts.
        assert!(p("2017/2018?").is_qualified());
        // Ends of equal or overlapping span are fine.
        assert_eq!(
            bounds("2017-03/2017-03-01"),
            (day_start(2017, 3, 1), day_end(2017, 3, 1))
        );
        assert_eq!(bounds("2017/2017"), bounds("2017"));
        let t = ms(2017, 9, 13, 16, 59, 0);
        assert_eq!(bounds("2017-09-13T16:59Z/2017-09-13T12:59-04:00"), (t, t));
    }

    #[test]
    fn open_and_unknown_ends() {
        let d = p("2017-05-09/..");
        assert_eq!(
            (d.earliest(), d.latest()),
            (day_start(2017, 5, 9), OPEN_END)
        );
        assert_eq!(d.end(), End::Open);
        let d = p("../2017");
        assert_eq!(
            (d.earliest(), d.latest()),
            (OPEN_START, day_end(2017, 12, 31))
        );
        assert_eq!(d.start(), End::Open);
        let d = p("2017/");
        assert_eq!(
            (d.earliest(), d.latest()),
            (day_start(2017, 1, 1), OPEN_END)
        );
        assert_eq!(d.end(), End::Unknown);
        let d = p("/2017");
        assert_eq!(
            (d.earliest(), d.latest()),
            (OPEN_START, day_end(2017, 12, 31))
        );
        assert_eq!(d.start(), End::Unknown);
        assert!(p("/2017").is_interval());
    }

    #[test]
    fn single_dates_have_equal_start_and_end() {
        let d = p("2017-03?");
        assert!(!d.is_interval());
        assert_eq!(d.start(), d.end());
        assert!(matches!(d.start(), End::Point(_)));
    }

    #[test]
    fn original_string_is_kept() {
        for s in [
            "2017-03?",
            "201X",
            "2017-09-13T12:59:00.120-04:00",
            "/2017",
            "2017-05-09/..",
        ] {
            let d = p(s);
            assert_eq!(d.as_str(), s);
            assert_eq!(d.to_string(), s);
            assert_eq!(s.parse::<EdtfDate>().ok(), Some(d));
        }
    }

    #[test]
    fn serde_round_trip() {
        let d = p("2017-03/2017-05-10");
        let json = serde_json::to_string(&d).expect("serialize");
        assert_eq!(json, "\"2017-03/2017-05-10\"");
        let back: EdtfDate = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, d);
        let err = serde_json::from_str::<EdtfDate>("\"2017-13\"").expect_err("invalid");
        assert!(
            err.to_string().contains("month 13 is out of range"),
            "{err}"
        );
        assert!(serde_json::from_str::<EdtfDate>("2017").is_err());
        assert_eq!(
            serde_json::to_string(&Within::Possible).ok().as_deref(),
            Some("\"possible\"")
        );
    }

    // ---- rejections -----------------------------------------------------------------------

    fn reason(s: &str) -> String {
        match EdtfDate::parse(s) {
            Ok(d) => panic!("{s:?} should be rejected, parsed as {d:?}"),
            Err(e) => {
                assert_eq!(e.value, s);
                let msg = e.to_string();
                assert!(msg.starts_with("invalid date "), "{msg}");
                assert!(
                    msg.contains(&format!("{s:?}")),
                    "message must quote the value: {msg}"
                );
                assert!(msg.contains("expected a form like 2017, 2017-03"), "{msg}");
                e.reason
            }
        }
    }

    #[test]
    fn exact_message_for_month_out_of_range() {
        let e = EdtfDate::parse("2017-13").expect_err("invalid");
        assert_eq!(
            e.to_string(),
            "invalid date \"2017-13\": month 13 is out of range (expected a form like 2017, \
             2017-03, 2017-03-09, 2017-09-13T12:59:00Z, 2017-03?, 201X, 2017-03/2017-05-10 or \
             2017-05-09/..)"
        );
    }

    #[test]
    fn rejects_bad_calendar_values() {
        assert!(reason("2017-13").contains("month 13 is out of range"));
        assert!(reason("2017-00").contains("month 00 is out of range"));
        assert!(reason("2017-02-30").contains("day 30 is out of range for February 2017"));
        assert!(reason("2017-02-29").contains("day 29 is out of range"));
        assert!(reason("1900-02-29").contains("day 29 is out of range"));
        assert!(reason("2017-04-31").contains("day 31 is out of range"));
        assert!(reason("2017-01-00").contains("day 00 is out of range"));
        assert!(reason("2017-01-32").contains("out of range"));
        assert!(reason("2017-09-13T25:00Z").contains("hour 25 is out of range"));
        assert!(reason("2017-09-13T12:60Z").contains("minute 60 is out of range"));
        assert!(reason("2017-09-13T12:59:60Z").contains("second 60 is out of range"));
        assert!(reason("2017-02-30T12:00Z").contains("day 30 is out of range"));
    }

    #[test]
    fn rejects_unknown_text() {
        for s in [
            "yesterday",
            "",
            " 2017",
            "2017 ",
            "2017-3",
            "17",
            "17-03-09",
            "2017-03-9",
            "20170",
            "+2017",
            "-2017",
            "Y2017",
            "2017-03-09-",
            "2017-",
            "..",
            "...",
            "?",
            "2017x",
            "2017-03-09Z",
            "2017-1X",
            "t",
            "2017-09-13t12:00Z",
        ] {
            reason(s);
        }
        assert!(reason("").contains("empty"));
        assert!(reason(" 2017").contains("whitespace"));
        assert!(reason("2017\n").contains("whitespace"));
        assert!(reason("17").contains("4 digits"));
        assert!(reason("2017-3").contains("two digits"));
    }

    #[test]
    fn rejects_naive_date_times() {
        let r = reason("2017-09-13T12:59:00");
        assert!(r.contains("add Z") && r.contains("offset"), "{r}");
        reason("2017-09-13T12:59");
        reason("2017-09-13T");
        reason("2017-09-13T12");
        reason("2017-09-13T12:59:0Z");
        reason("2017-09-13T12:59:00.Z");
        reason("2017-09-13T12:59:00.1234567890Z");
        reason("2017-09-13T12:59:00+4");
        reason("2017-09-13T12:59:00+0400");
        reason("2017-09-13T12:59:00+24:00");
        reason("2017-09-13T12:59:00ZZ");
        reason("2017-09T12:59Z");
        reason("2017T12:59Z");
        reason("2017-09-XXT12:59Z");
        reason("2017-09-13T12:59ZT12:59Z");
    }

    #[test]
    fn rejects_misplaced_unspecified_digits() {
        assert!(reason("2017-XX-05").contains("rightmost"));
        assert!(reason("201X-05").contains("rightmost"));
        assert!(reason("20X7").contains("rightmost"));
        assert!(reason("201X-XX").contains("rightmost"));
        reason("XXXX");
        reason("2017-X5");
        reason("2017-05-X");
    }

    #[test]
    fn rejects_bad_intervals() {
        assert!(reason("2017-05-10/2017-03").contains("after its end"));
        assert!(reason("2017-09-13T12:00Z/2017-09-13T11:59Z").contains("after its end"));
        for s in [
            "/",
            "../..",
            "../",
            "/..",
            "2017/2018/2019",
            "2017//",
            "2017-13/2018",
        ] {
            reason(s);
        }
        assert!(reason("2017-13/2018").contains("start \"2017-13\": month 13"));
        assert!(reason("2017/2018-02-30").contains("end \"2018-02-30\""));
    }

    #[test]
    fn rejects_bad_qualifiers() {
        assert!(reason("2017-03?~").contains("only one qualifier"));
        assert!(reason("2017?-03").contains("at the end"));
        assert!(reason("2017-09-13T12:00Z?").contains("not to date-times"));
        assert!(reason("2017-09-13?T12:00Z").contains("not to date-times"));
        reason("?2017");
        reason("~");
    }

    #[test]
    fn rejects_non_ascii() {
        for s in [
            "２０１７",
            "2017-0３",
            "2017\u{0}",
            "2017‐03",
            "😀",
            "2017-03\u{200b}",
        ] {
            reason(s);
        }
    }

    #[test]
    fn long_values_are_cut_in_the_message() {
        let junk = "9".repeat(10_000);
        let e = EdtfDate::parse(&junk).expect_err("invalid");
        assert_eq!(e.value, junk);
        assert!(e.to_string().len() < 400);
        assert!(e.to_string().contains('…'));
    }

    // ---- order ----------------------------------------------------------------------------

    fn assert_sorted(items: &[&str]) {
        for pair in items.windows(2) {
            let (a, b) = (p(pair[0]), p(pair[1]));
            assert!(
                a.order_key() < b.order_key(),
                "{} should sort before {}",
                pair[0],
                pair[1]
            );
            assert!(a.order_key().to_bytes() < b.order_key().to_bytes());
        }
    }

    #[test]
    fn wider_dates_sort_first() {
        assert_sorted(&["2017-03", "2017-03-01", "2017-03-02"]);
        assert_sorted(&["2017", "2017-01", "2017-01-01", "2017-01-01T00:00Z"]);
        assert_sorted(&["2017-03/2017-09-13", "2017-03", "2017-03-01"]);
        assert_sorted(&["2017-03/..", "2017-03/2017-09-13"]);
        assert_sorted(&["201X", "2010", "2011"]);
    }

    #[test]
    fn unqualified_sorts_before_qualified() {
        assert_sorted(&["2017-03", "2017-03?"]);
        assert_eq!(p("2017-03?").order_key(), p("2017-03%").order_key());
    }

    #[test]
    fn date_times_sort_by_utc_instant() {
        assert_sorted(&[
            "2017-09-13T16:00:00Z",
            "2017-09-13T12:59:00-04:00",
            "2017-09-13T17:00:00.001Z",
            "2017-09-13T19:30:00+02:00",
        ]);
        assert_eq!(
            p("2017-09-13T12:59:00-04:00").order_key(),
            p("2017-09-13T16:59Z").order_key()
        );
    }

    #[test]
    fn open_start_sorts_first() {
        assert_sorted(&["../2017", "0000", "2017"]);
        // Open and unknown starts are equally unbounded; the caller's sequence breaks the tie.
        assert_eq!(p("../2017").order_key(), p("/2017").order_key());
        assert_sorted(&["../2018", "../2017"]);
    }

    #[test]
    fn order_key_bytes_round_trip() {
        for s in [
            "2017",
            "../2017",
            "2017/..",
            "2017-03?",
            "0000-01-01T00:00+23:59",
        ] {
            let k = p(s).order_key();
            assert_eq!(OrderKey::from_bytes(&k.to_bytes()), Some(k));
        }
        let extreme = OrderKey {
            earliest: i64::MIN,
            latest_desc: Reverse(i64::MAX),
            qualified: true,
        };
        assert_eq!(OrderKey::from_bytes(&extreme.to_bytes()), Some(extreme));
        assert_eq!(OrderKey::from_bytes(&[0; 16]), None);
        assert_eq!(OrderKey::from_bytes(&[0; 18]), None);
        let mut bad = extreme.to_bytes();
        bad[16] = 2;
        assert_eq!(OrderKey::from_bytes(&bad), None);
    }

    // ---- ranges ---------------------------------------------------------------------------

    fn range(since: Option<&str>, until: Option<&str>) -> DateRange {
        DateRange {
            since: since.map(p),
            until: until.map(p),
        }
    }

    #[test]
    fn range_window() {
        assert!(DateRange::default().is_unbounded());
        assert_eq!(DateRange::default().window(), (OPEN_START, OPEN_END));
        let r = range(Some("2017-02"), Some("2017-03"));
        assert!(!r.is_unbounded());
        assert_eq!(r.window(), (day_start(2017, 2, 1), day_end(2017, 3, 31)));
    }

    #[test]
    fn within_a_range() {
        let until_march = range(None, Some("2017-03"));
        assert_eq!(p("2017-03-31").within(&until_march), Some(Within::Certain));
        assert_eq!(
            p("2017-03-31T23:59:59.999Z").within(&until_march),
            Some(Within::Certain)
        );
        assert_eq!(p("2017-04-01T00:00Z").within(&until_march), None);
        assert_eq!(p("2017-04-01").within(&until_march), None);

        let window = range(Some("2017-03-10"), Some("2017-06"));
        // A month straddling the start of the window.
        assert_eq!(p("2017-03").within(&window), Some(Within::Possible));
        assert_eq!(p("2017-05").within(&window), Some(Within::Certain));
        assert_eq!(p("2017-05?").within(&window), Some(Within::Possible));
        assert_eq!(p("2017-05~").within(&window), Some(Within::Possible));
        assert_eq!(p("2017-02").within(&window), None);
        assert_eq!(p("2018").within(&window), None);
        assert_eq!(p("2017-06-30/..").within(&window), Some(Within::Possible));
        assert_eq!(p("../2017-03-09").within(&window), None);
        assert_eq!(p("../2017-03-10").within(&window), Some(Within::Possible));

        let unbounded = DateRange::default();
        assert_eq!(p("2017/..").within(&unbounded), Some(Within::Certain));
        assert_eq!(p("2017?").within(&unbounded), Some(Within::Possible));

        // A reversed window contains nothing rather than misbehaving.
        let reversed = range(Some("2018"), Some("2017"));
        assert_eq!(p("2017-06").within(&reversed), None);
    }

    // ---- display and parts ----------------------------------------------------------------

    #[test]
    fn display_plain_dates() {
        assert_eq!(p("2017").display(), "2017");
        assert_eq!(p("2017-03").display(), "March 2017");
        assert_eq!(p("2017-09-13").display(), "13 September 2017");
        assert_eq!(p("2017-09-03").display(), "3 September 2017");
        assert_eq!(p("0476").display(), "0476");
    }

    #[test]
    fn display_date_times_in_their_own_offset() {
        assert_eq!(
            p("2017-09-13T12:59:00-04:00").display(),
            "13 September 2017, 12:59 -04:00"
        );
        assert_eq!(
            p("2017-09-13T16:59:00Z").display(),
            "13 September 2017, 16:59 UTC"
        );
        assert_eq!(
            p("2017-09-13T16:59+00:00").display(),
            "13 September 2017, 16:59 +00:00"
        );
        assert_eq!(
            p("2017-09-13T23:30+05:30").display(),
            "13 September 2017, 23:30 +05:30"
        );
        assert_eq!(
            p("2017-09-13T16:59:07Z").display(),
            "13 September 2017, 16:59:07 UTC"
        );
        assert_eq!(
            p("2017-09-13T16:59:00.25Z").display(),
            "13 September 2017, 16:59:00.250 UTC"
        );
    }

    #[test]
    fn display_qualifiers() {
        assert_eq!(p("2017-03?").display(), "March 2017 (uncertain)");
        assert_eq!(p("2017-03~").display(), "about March 2017");
        assert_eq!(p("2017-03%").display(), "about March 2017 (uncertain)");
    }

    #[test]
    fn display_unspecified() {
        assert_eq!(p("201X").display(), "the 2010s");
        assert_eq!(p("20XX").display(), "the years 2000 to 2099");
        assert_eq!(p("1XXX").display(), "the years 1000 to 1999");
        assert_eq!(p("2017-XX").display(), "2017 (month unknown)");
        assert_eq!(p("2017-XX-XX").display(), "2017 (month and day unknown)");
        assert_eq!(p("2017-05-XX").display(), "May 2017 (day unknown)");
        assert_eq!(
            p("2017-05-XX?").display(),
            "May 2017 (day unknown, uncertain)"
        );
        assert_eq!(p("201X~").display(), "about the 2010s");
    }

    #[test]
    fn display_intervals() {
        assert_eq!(
            p("2017-03/2017-05-10").display(),
            "March 2017 – 10 May 2017"
        );
        assert_eq!(p("2017-05-09/..").display(), "from 9 May 2017");
        assert_eq!(p("2017-05-09/").display(), "from 9 May 2017 (end unknown)");
        assert_eq!(p("../2017").display(), "until 2017");
        assert_eq!(p("/2017").display(), "until 2017 (start unknown)");
        assert_eq!(
            p("2017-09-13T12:59-04:00/2017-09-14?").display(),
            "13 September 2017, 12:59 -04:00 – 14 September 2017 (uncertain)"
        );
    }

    #[test]
    fn parts_follow_precision() {
        let parts = |s: &str| point(p(s).start()).parts();
        assert_eq!(
            parts("2017"),
            DateParts {
                year: 2017,
                ..DateParts::default()
            }
        );
        assert_eq!(
            parts("2017-03?"),
            DateParts {
                year: 2017,
                month: Some(3),
                ..DateParts::default()
            }
        );
        assert_eq!(
            parts("2017-03-09"),
            DateParts {
                year: 2017,
                month: Some(3),
                day: Some(9),
                ..DateParts::default()
            }
        );
        assert_eq!(
            parts("2017-12-31T23:30:15-02:00"),
            DateParts {
                year: 2018,
                month: Some(1),
                day: Some(1),
                hour: Some(1),
                minute: Some(30),
                second: Some(15),
            }
        );
        assert_eq!(parts("201X").year, 2010);
        assert_eq!(parts("201X").month, None);
        assert_eq!(parts("2017-XX").month, None);
        assert_eq!(parts("2017-05-XX").month, Some(5));
        assert_eq!(parts("2017-05-XX").day, None);
    }

    #[test]
    fn first_and_last_days() {
        let d = p("2017-03");
        assert_eq!(d.first_day().as_deref(), Some("2017-03-01"));
        assert_eq!(d.last_day().as_deref(), Some("2017-03-31"));
        let d = p("2017-12-31T23:30-02:00");
        assert_eq!(d.first_day().as_deref(), Some("2018-01-01"));
        assert_eq!(d.last_day().as_deref(), Some("2018-01-01"));
        let d = p("2017-05-09/..");
        assert_eq!(d.first_day().as_deref(), Some("2017-05-09"));
        assert_eq!(d.last_day(), None);
        let d = p("/2016-02");
        assert_eq!(d.first_day(), None);
        assert_eq!(d.last_day().as_deref(), Some("2016-02-29"));
    }

    // ---- properties -----------------------------------------------------------------------

    fn qualifier_suffix() -> impl Strategy<Value = &'static str> {
        prop_oneof![Just(""), Just(""), Just("?"), Just("~"), Just("%")]
    }

    fn civil_date() -> impl Strategy<Value = String> {
        (
            0..=9999i32,
            1..=12u32,
            1..=31u32,
            0..7u8,
            qualifier_suffix(),
        )
            .prop_map(|(y, m, d, shape, q)| {
                let d = d.min(days_in_month(y, m));
                let core = match shape {
                    0 => format!("{y:04}"),
                    1 => format!("{y:04}-{m:02}"),
                    2 | 3 => format!("{y:04}-{m:02}-{d:02}"),
                    4 => {
                        let s = format!("{y:04}");
                        let keep = (y % 3 + 1) as usize;
                        format!("{}{}", &s[..keep], "X".repeat(4 - keep))
                    }
                    5 => format!("{y:04}-XX"),
                    _ => format!("{y:04}-{m:02}-XX"),
                };
                format!("{core}{q}")
            })
    }

    fn instant() -> impl Strategy<Value = String> {
        (
            (0..=9999i32, 1..=12u32, 1..=31u32),
            (0..24u32, 0..60u32, 0..60u32, 0..1000u32, 0..4u8),
            (0..3u8, 0..24u32, 0..60u32),
        )
            .prop_map(|((y, mo, d), (h, mi, s, frac, clock), (zone, oh, om))| {
                let d = d.min(days_in_month(y, mo));
                let time = match clock {
                    0 => format!("{h:02}:{mi:02}"),
                    1 => format!("{h:02}:{mi:02}:{s:02}"),
                    _ => format!("{h:02}:{mi:02}:{s:02}.{frac:03}"),
                };
                let zone = match zone {
                    0 => "Z".to_owned(),
                    1 => format!("+{oh:02}:{om:02}"),
                    _ => format!("-{oh:02}:{om:02}"),
                };
                format!("{y:04}-{mo:02}-{d:02}T{time}{zone}")
            })
    }

    fn single_date() -> impl Strategy<Value = String> {
        prop_oneof![3 => civil_date(), 1 => instant()]
    }

    fn any_valid_date() -> impl Strategy<Value = EdtfDate> {
        let end = prop_oneof![
            6 => single_date(),
            1 => Just(String::new()),
            1 => Just("..".to_owned()),
        ];
        prop_oneof![
            2 => single_date().prop_map(|s| p(&s)),
            1 => (single_date(), end).prop_flat_map(|(a, b)| {
                // Which side the dated end lands on, and which order an interval of two points
                // takes, are both chosen so the result is always valid.
                let forward = EdtfDate::parse(&format!("{a}/{b}"));
                let backward = EdtfDate::parse(&format!("{b}/{a}"));
                let picked = match (forward, backward) {
                    (Ok(f), Ok(r)) => vec![f, r],
                    (Ok(f), Err(_)) => vec![f],
                    (Err(_), Ok(r)) => vec![r],
                    (Err(e1), Err(e2)) => panic!("neither order parses: {e1} / {e2}"),
                };
                proptest::sample::select(picked)
            }),
        ]
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = EdtfDate::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_date_alphabet(s in "[0-9X?~%/.TZ:+ -]{0,32}") {
            if let Ok(d) = EdtfDate::parse(&s) {
                prop_assert!(d.earliest() <= d.latest());
                prop_assert_eq!(d.as_str(), s.as_str());
                let _ = (d.display(), d.first_day(), d.last_day());
            }
        }

        #[test]
        fn generated_dates_parse(s in single_date()) {
            prop_assert!(EdtfDate::parse(&s).is_ok(), "{s:?} should parse");
        }

        #[test]
        fn bounds_are_ordered_and_text_round_trips(d in any_valid_date()) {
            prop_assert!(d.earliest() <= d.latest());
            let again = EdtfDate::parse(d.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&d));
            let json = serde_json::to_string(&d).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back: EdtfDate =
                serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, &d);
            prop_assert!(!d.display().is_empty());
            // An end may reach past the other (2017-03-10/2017-03), but the interval's bounds
            // are exactly its start's earliest and its end's latest.
            match d.start() {
                End::Point(pt) => {
                    prop_assert!(pt.earliest() <= pt.latest());
                    prop_assert_eq!(pt.earliest(), d.earliest());
                }
                End::Open | End::Unknown => prop_assert_eq!(d.earliest(), OPEN_START),
            }
            match d.end() {
                End::Point(pt) => {
                    prop_assert!(pt.earliest() <= pt.latest());
                    prop_assert_eq!(pt.latest(), d.latest());
                }
                End::Open | End::Unknown => prop_assert_eq!(d.latest(), OPEN_END),
            }
        }

        #[test]
        fn order_is_total_and_bytes_agree(
            a in any_valid_date(),
            b in any_valid_date(),
            c in any_valid_date(),
        ) {
            let (ka, kb, kc) = (a.order_key(), b.order_key(), c.order_key());
            let relations = [ka < kb, ka == kb, ka > kb];
            prop_assert_eq!(relations.iter().filter(|&&r| r).count(), 1);
            prop_assert_eq!(ka.cmp(&kb), kb.cmp(&ka).reverse());
            if ka <= kb && kb <= kc {
                prop_assert!(ka <= kc);
            }
            if ka <= kb && kb <= ka {
                prop_assert_eq!(ka, kb);
            }
            for (x, y) in [(ka, kb), (kb, kc), (ka, kc)] {
                prop_assert_eq!(x.to_bytes().cmp(&y.to_bytes()), x.cmp(&y));
                prop_assert_eq!(OrderKey::from_bytes(&x.to_bytes()), Some(x));
            }
        }
    }
}
