//! Go's `time.Time`: a wall-clock reading with an optional monotonic part, and the `Duration`
//! constants (`time::MILLISECOND`, ...).

use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One nanosecond (Go's `time.Nanosecond`): `100 * time::NANOSECOND`.
pub const NANOSECOND: Duration = Duration::from_nanos(1);
/// One microsecond (Go's `time.Microsecond`).
pub const MICROSECOND: Duration = Duration::from_micros(1);
/// One millisecond (Go's `time.Millisecond`): `100 * time::MILLISECOND` reads like Go.
pub const MILLISECOND: Duration = Duration::from_millis(1);
/// One second (Go's `time.Second`).
pub const SECOND: Duration = Duration::from_secs(1);
/// One minute (Go's `time.Minute`).
pub const MINUTE: Duration = Duration::from_secs(60);
/// One hour (Go's `time.Hour`).
pub const HOUR: Duration = Duration::from_secs(3600);

/// Seconds from January 1 of year 1 (Go's zero time) to the Unix epoch.
const ZERO_UNIX: i64 = -62_135_596_800;
const NANOS: i128 = 1_000_000_000;

/// An instant in time, Go's `time.Time`: a wall-clock reading (UTC, nanosecond precision) and,
/// for times read from the clock, a monotonic reading.
///
/// As in Go, comparisons and [`sub`](Time::sub) use the monotonic readings when both times have
/// one (so they are immune to wall-clock changes), and the wall clock otherwise. The default
/// value is Go's zero time, January 1, year 1, 00:00:00 UTC, so a `Time` channel has a zero
/// value and `case t := <-ticker.C:` works in `select!`.
///
/// ```
/// use gocsp::time::{self, Time};
///
/// let start = time::now();
/// time::sleep(2 * time::MILLISECOND);
/// assert!(time::since(start) >= 2 * time::MILLISECOND);
/// assert!(start.before(time::now()));
/// assert!(Time::default().is_zero());
/// assert_eq!(Time::default().to_string(), "0001-01-01 00:00:00 +0000 UTC");
/// assert_eq!(Time::unix(1_257_894_000, 0).to_string(), "2009-11-10 23:00:00 +0000 UTC");
/// ```
#[derive(Clone, Copy)]
pub struct Time {
    /// Seconds since the Unix epoch (negative before it).
    secs: i64,
    /// Nanoseconds within the second, `0..1e9`.
    nsec: u32,
    /// The monotonic reading, for times read from the clock.
    mono: Option<Instant>,
}

/// The process's monotonic origin: Go prints a time's monotonic reading (`m=+0.5`) as an offset
/// from its process start; ours is the first clock reading.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// The wall time `secs`, `nsec` (since the Unix epoch, `nsec` in `0..1e9`) moved `by` forward
/// (`ahead`) or back, saturated at the ends of `i64` seconds.
fn moved(secs: i64, nsec: u32, by: Duration, ahead: bool) -> (i64, u32) {
    const SECOND: u32 = NANOS as u32;
    let whole = by.as_secs().min(i64::MAX as u64) as i64;
    if ahead {
        let n = nsec + by.subsec_nanos();
        let carry = n >= SECOND;
        (
            secs.saturating_add(whole).saturating_add(i64::from(carry)),
            if carry { n - SECOND } else { n },
        )
    } else {
        let borrow = nsec < by.subsec_nanos();
        (
            secs.saturating_sub(whole).saturating_sub(i64::from(borrow)),
            if borrow { nsec + SECOND } else { nsec } - by.subsec_nanos(),
        )
    }
}

/// The wall clock. Under Miri, whose isolation has no wall clock, a fixed date moved on by the
/// monotonic clock, so that timer channels and contexts can be checked there too.
fn wall_now() -> SystemTime {
    #[cfg(miri)]
    {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000) + origin().elapsed()
    }
    #[cfg(not(miri))]
    SystemTime::now()
}

/// The current time, with a monotonic reading (Go's `time.Now()`).
pub fn now() -> Time {
    origin();
    Time::from_parts(wall_now(), Instant::now())
}

/// The time elapsed since `t` (Go's `time.Since`): `now().sub(t)`.
pub fn since(t: Time) -> Duration {
    now().sub(t)
}

/// The time until `t` (Go's `time.Until`): `t.sub(now())`, zero once `t` has passed.
pub fn until(t: Time) -> Duration {
    t.sub(now())
}

impl Default for Time {
    /// Go's zero time: January 1, year 1, 00:00:00 UTC, with no monotonic reading.
    fn default() -> Self {
        Time {
            secs: ZERO_UNIX,
            nsec: 0,
            mono: None,
        }
    }
}

impl Time {
    fn from_parts(wall: SystemTime, mono: Instant) -> Time {
        let (secs, nsec) = match wall.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => {
                let t = Time::default().with_nanos(-(e.duration().as_nanos() as i128));
                (t.secs, t.nsec)
            }
        };
        Time {
            secs,
            nsec,
            mono: Some(mono),
        }
    }

    /// The time of the monotonic reading `at`, with the wall clock read with a monotonic
    /// reading and moved by the time between that reading and `at` (how timers stamp what
    /// they deliver; how a context shows its deadline).
    ///
    /// The pair of readings is this thread's last if it was taken within `ANCHOR_SPAN` of
    /// `at`: a worker firing thousands of ticks a millisecond reads the two clocks once, not
    /// twice per tick (two reads were a tenth of the time of 5,000 tickers of 1 ms on one
    /// worker). A wall clock stepped meanwhile shows in stamps from the next pair on.
    pub(crate) fn from_instant(at: Instant) -> Time {
        const ANCHOR_SPAN: Duration = Duration::from_millis(1);
        /// A pair of readings: the monotonic one, the wall clock's as seconds and nanoseconds
        /// since the Unix epoch, and the span around the first in which the pair is used. The
        /// span's ends are kept, so that a stamp costs two comparisons and one difference of
        /// instants (four differences and a sum of `SystemTime`s were a tenth of a tick).
        #[derive(Clone, Copy)]
        struct Anchor {
            mono: Instant,
            from: Instant,
            until: Instant,
            secs: i64,
            nsec: u32,
        }
        impl Anchor {
            fn read() -> Anchor {
                let (mono, wall) = (Instant::now(), wall_now());
                let Time { secs, nsec, .. } = Time::from_parts(wall, mono);
                Anchor {
                    mono,
                    from: mono.checked_sub(ANCHOR_SPAN).unwrap_or(mono),
                    until: mono.checked_add(ANCHOR_SPAN).unwrap_or(mono),
                    secs,
                    nsec,
                }
            }
        }
        std::thread_local! {
            static ANCHOR: std::cell::Cell<Option<Anchor>> = const { std::cell::Cell::new(None) };
        }
        origin();
        let a = ANCHOR
            .try_with(|cell| match cell.get() {
                Some(a) if a.from <= at && at <= a.until => a,
                _ => {
                    let a = Anchor::read();
                    cell.set(Some(a));
                    a
                }
            })
            .unwrap_or_else(|_| Anchor::read());
        let (secs, nsec) = match at.checked_duration_since(a.mono) {
            Some(ahead) => moved(a.secs, a.nsec, ahead, true),
            None => moved(a.secs, a.nsec, a.mono.duration_since(at), false),
        };
        Time {
            secs,
            nsec,
            mono: Some(at),
        }
    }

    /// The time `sec` seconds and `nsec` nanoseconds after the Unix epoch, UTC (Go's
    /// `time.Unix`); `nsec` may be outside `0..1e9` or negative. No monotonic reading.
    pub fn unix(sec: i64, nsec: i64) -> Time {
        Time {
            secs: 0,
            nsec: 0,
            mono: None,
        }
        .with_nanos(sec as i128 * NANOS + nsec as i128)
    }

    /// The time at `n` nanoseconds since the Unix epoch (saturated to what fits).
    fn with_nanos(self, n: i128) -> Time {
        Time {
            secs: n
                .div_euclid(NANOS)
                .clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            nsec: n.rem_euclid(NANOS) as u32,
            mono: None,
        }
    }

    fn wall_nanos(&self) -> i128 {
        self.secs as i128 * NANOS + self.nsec as i128
    }

    /// True for Go's zero time (`Time::default()`).
    pub fn is_zero(&self) -> bool {
        self.secs == ZERO_UNIX && self.nsec == 0
    }

    /// Seconds since the Unix epoch (Go's `t.Unix()`).
    pub fn unix_secs(&self) -> i64 {
        self.secs
    }

    /// Milliseconds since the Unix epoch (Go's `t.UnixMilli()`), rounded down: a time before
    /// 1970 that is not on a whole millisecond gives the millisecond before it, as in Go.
    pub fn unix_milli(&self) -> i64 {
        self.wall_nanos().div_euclid(1_000_000) as i64
    }

    /// Nanoseconds since the Unix epoch (Go's `t.UnixNano()`; saturated outside ±292 years).
    pub fn unix_nano(&self) -> i64 {
        self.wall_nanos().clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// The monotonic reading, for a time read from the clock (`None` for the zero time, for
    /// [`Time::unix`] and after [`strip_mono`](Time::strip_mono)).
    pub fn instant(&self) -> Option<Instant> {
        self.mono
    }

    /// The wall-clock reading as a `SystemTime`.
    pub fn system_time(&self) -> SystemTime {
        let n = self.wall_nanos();
        let d = |n: i128| {
            Duration::new(
                (n.unsigned_abs() / NANOS as u128) as u64,
                (n.unsigned_abs() % NANOS as u128) as u32,
            )
        };
        if n >= 0 {
            UNIX_EPOCH + d(n)
        } else {
            UNIX_EPOCH - d(n)
        }
    }

    /// The same time without its monotonic reading (Go's `t.Round(0)`): comparisons then use
    /// the wall clock.
    pub fn strip_mono(self) -> Time {
        Time { mono: None, ..self }
    }

    /// `t + d` (Go's `t.Add(d)`), on both readings; saturates at the far end of time.
    pub fn add(&self, d: Duration) -> Time {
        let mut t = self.with_nanos(self.wall_nanos().saturating_add(d.as_nanos() as i128));
        t.mono = self.mono.and_then(|m| m.checked_add(d));
        t
    }

    /// The duration `t - u` (Go's `t.Sub(u)`), from the monotonic readings when both have one.
    /// Go's `Duration` is signed; Rust's is not, so like `Instant::duration_since` this is zero
    /// when `t` is before `u` (ask [`before`](Time::before) first if that matters).
    pub fn sub(&self, u: Time) -> Duration {
        if let (Some(a), Some(b)) = (self.mono, u.mono) {
            return a.saturating_duration_since(b);
        }
        let n = self.wall_nanos() - u.wall_nanos();
        if n <= 0 {
            return Duration::ZERO;
        }
        Duration::new((n / NANOS) as u64, (n % NANOS) as u32)
    }

    /// Go's `t.Compare(u)`: by the monotonic readings when both have one, else the wall clock.
    pub fn compare(&self, u: Time) -> Ordering {
        match (self.mono, u.mono) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.wall_nanos().cmp(&u.wall_nanos()),
        }
    }

    /// True if `t` is before `u` (Go's `t.Before(u)`).
    pub fn before(&self, u: Time) -> bool {
        self.compare(u) == Ordering::Less
    }

    /// True if `t` is after `u` (Go's `t.After(u)`).
    pub fn after(&self, u: Time) -> bool {
        self.compare(u) == Ordering::Greater
    }

    /// True if both are the same instant (Go's `t.Equal(u)`).
    pub fn equal(&self, u: Time) -> bool {
        self.compare(u) == Ordering::Equal
    }

    /// The year, month (1-12) and day (1-31), UTC (Go's `t.Date()`).
    pub fn date(&self) -> (i64, u32, u32) {
        civil_from_days(self.secs.div_euclid(86_400))
    }

    /// The hour, minute and second within the day, UTC (Go's `t.Clock()`).
    pub fn clock(&self) -> (u32, u32, u32) {
        let s = self.secs.rem_euclid(86_400) as u32;
        (s / 3600, s / 60 % 60, s % 60)
    }

    /// The nanosecond within the second (Go's `t.Nanosecond()`).
    pub fn nanosecond(&self) -> u32 {
        self.nsec
    }
}

/// Go's `Duration.String()`: `1.5s`, `1m30s`, `1h0m0s`, `250ms`, `1.5µs`, `10ns`, `0s`, with a
/// leading `-` for a negative duration.
pub(crate) fn go_duration(d: Duration, negative: bool) -> String {
    let n = d.as_nanos();
    if n == 0 {
        return "0s".to_string();
    }
    /// `n / unit` with its fraction, trailing zeros trimmed (`unit` a power of ten).
    fn with_fraction(n: u128, unit: u128) -> String {
        let (int, rem) = (n / unit, n % unit);
        if rem == 0 {
            return int.to_string();
        }
        let width = unit.ilog10() as usize;
        let frac = format!("{rem:0width$}");
        format!("{int}.{}", frac.trim_end_matches('0'))
    }
    let sign = if negative { "-" } else { "" };
    let body = if n < 1_000 {
        format!("{n}ns")
    } else if n < 1_000_000 {
        format!("{}µs", with_fraction(n, 1_000))
    } else if n < 1_000_000_000 {
        format!("{}ms", with_fraction(n, 1_000_000))
    } else {
        let secs = n / 1_000_000_000;
        let (h, m) = (secs / 3600, secs / 60 % 60);
        let s = with_fraction(n % 60_000_000_000, 1_000_000_000);
        if h > 0 {
            format!("{h}h{m}m{s}s")
        } else if m > 0 {
            format!("{m}m{s}s")
        } else {
            format!("{s}s")
        }
    };
    format!("{sign}{body}")
}

/// Year, month, day of the proleptic Gregorian calendar for `days` since 1970-01-01
/// (the era arithmetic: 400-year cycles of 146,097 days, years counted from March).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the year from March 1
    let mp = (5 * doy + 2) / 153; // month from March, 0..11
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl PartialEq for Time {
    /// Go's `t.Equal(u)` on the wall clock (the monotonic reading is left out, so equality is
    /// transitive; [`equal`](Time::equal) uses it when both have one).
    fn eq(&self, other: &Self) -> bool {
        self.wall_nanos() == other.wall_nanos()
    }
}

impl Eq for Time {}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Time {
    /// By the wall clock (see [`PartialEq`]); [`compare`](Time::compare) is Go's rule.
    fn cmp(&self, other: &Self) -> Ordering {
        self.wall_nanos().cmp(&other.wall_nanos())
    }
}

impl std::hash::Hash for Time {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.wall_nanos().hash(state)
    }
}

impl fmt::Display for Time {
    /// Go's `t.String()` in UTC: `2009-11-10 23:00:00.5 +0000 UTC m=+0.001000001`, the
    /// fraction without trailing zeros, the monotonic reading as seconds since the first clock
    /// reading of the process.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d) = self.date();
        let (h, mi, s) = self.clock();
        write!(f, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")?;
        if self.nsec != 0 {
            let frac = format!("{:09}", self.nsec);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str(" +0000 UTC")?;
        if let Some(m) = self.mono {
            let o = origin();
            let (sign, d) = match m.checked_duration_since(o) {
                Some(d) => ('+', d),
                None => ('-', o.duration_since(m)),
            };
            write!(f, " m={sign}{}.{:09}", d.as_secs(), d.subsec_nanos())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(ZERO_UNIX / 86_400), (1, 1, 1));
    }

    #[test]
    fn display_is_gos() {
        assert_eq!(
            Time::unix(1_257_894_000, 500_000_000).to_string(),
            "2009-11-10 23:00:00.5 +0000 UTC"
        );
        assert_eq!(
            Time::unix(0, -1).to_string(),
            "1969-12-31 23:59:59.999999999 +0000 UTC"
        );
        assert_eq!(Time::unix(ZERO_UNIX, 0), Time::default());
        let t = now().to_string();
        assert!(t.contains(" +0000 UTC m=+"), "{t}");
    }

    #[test]
    fn durations_print_as_gos() {
        let ns = Duration::from_nanos;
        let cases = [
            (ns(0), "0s"),
            (ns(1), "1ns"),
            (ns(1_100), "1.1µs"),
            (ns(2_200_000), "2.2ms"),
            (ns(3_300_000_000), "3.3s"),
            (ns(1_500_000_000), "1.5s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (
                ns(4 * 3_600_000_000_000 + 5 * 60_000_000_000 + 6_700_000_000),
                "4h5m6.7s",
            ),
            (ns(499_870_632), "499.870632ms"),
        ];
        for (d, want) in cases {
            assert_eq!(go_duration(d, false), want);
        }
        assert_eq!(go_duration(ns(1_500_000_000), true), "-1.5s");
    }

    #[test]
    fn a_wall_time_moves_across_second_boundaries() {
        let ns = Duration::from_nanos;
        assert_eq!(moved(10, 999_999_999, ns(1), true), (11, 0));
        assert_eq!(moved(10, 0, ns(1), false), (9, 999_999_999));
        assert_eq!(moved(10, 500, ns(2_000_000_700), true), (12, 1_200));
        assert_eq!(moved(10, 500, ns(2_000_000_700), false), (7, 999_999_800));
        assert_eq!(moved(-1, 0, ns(1), false), (-2, 999_999_999));
        assert_eq!(moved(i64::MAX, 999_999_999, ns(1), true).0, i64::MAX);
    }

    /// Stamps taken from one pair of readings differ exactly as their instants do, on either
    /// side of the pair.
    #[test]
    fn instants_near_each_other_stamp_times_as_far_apart() {
        // Without their monotonic readings, which `sub` would use instead.
        let wall = |at| Time::from_instant(at).strip_mono();
        // A pair read just before `base` (a far instant makes the thread read one), within
        // 200 us of it (else try again: a thread descheduled in between), so every instant
        // below is within the pair's span of 1 ms.
        let far = Instant::now() + HOUR;
        let (base, t0) = (0..1_000)
            .find_map(|_| {
                let start = Instant::now();
                wall(far);
                let base = Instant::now();
                let t0 = wall(base);
                (start.elapsed() < Duration::from_micros(200)).then_some((base, t0))
            })
            .expect("no pair read within 200 us in 1,000 tries");
        for us in (0..300).step_by(37) {
            let d = Duration::from_micros(us);
            assert_eq!(wall(base + d).sub(t0), d);
            if let Some(before) = base.checked_sub(d) {
                assert_eq!(t0.sub(wall(before)), d);
            }
        }
    }

    #[test]
    fn from_instant_moves_the_wall_clock_with_it() {
        let (t, i) = (now(), Instant::now());
        let later = Time::from_instant(i + HOUR).strip_mono();
        let earlier = Time::from_instant(i.checked_sub(SECOND).unwrap_or(i)).strip_mono();
        assert!(later.sub(t.strip_mono()) >= HOUR - SECOND, "{later} vs {t}");
        assert!(later.sub(t.strip_mono()) <= HOUR + MINUTE, "{later} vs {t}");
        assert!(!earlier.after(t.strip_mono()));
    }

    #[test]
    fn add_and_sub_are_inverse() {
        let t = Time::unix(100, 999_999_999);
        let u = t.add(Duration::from_nanos(2));
        assert_eq!(u, Time::unix(101, 1));
        assert_eq!(u.sub(t), Duration::from_nanos(2));
        assert_eq!(t.sub(u), Duration::ZERO);
        assert!(t.before(u) && u.after(t) && !t.equal(u));
        let n = now();
        assert_eq!(n.add(SECOND).sub(n), SECOND);
        assert_eq!(n.add(SECOND).instant(), n.instant().map(|i| i + SECOND));
    }
}
