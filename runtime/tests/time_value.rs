//! `gocsp::time::Time`, Go's `time.Time`: the zero value, `Display` in Go's format, `add`/`sub`,
//! `before`/`after`, monotonic versus wall-clock comparisons. Values only: no goroutines and no
//! timers, so Miri can run it (all but the tests that read the wall clock, which Miri's
//! isolation forbids).
#![cfg(not(loom))]

use std::time::Duration;

use gocsp::time::{self, Time};

#[test]
fn the_zero_time_is_gos() {
    let z = Time::default();
    assert!(z.is_zero());
    assert_eq!(z.to_string(), "0001-01-01 00:00:00 +0000 UTC");
    assert_eq!(z.date(), (1, 1, 1));
    assert_eq!(z.unix_secs(), -62_135_596_800);
    assert_eq!(z.instant(), None);
    assert!(z.before(Time::unix(0, 0)));
}

#[test]
fn display_matches_gos_string() {
    // Go: time.Unix(1257894000, 0).UTC().String()
    assert_eq!(
        Time::unix(1_257_894_000, 0).to_string(),
        "2009-11-10 23:00:00 +0000 UTC"
    );
    assert_eq!(
        Time::unix(1_257_894_000, 120_000).to_string(),
        "2009-11-10 23:00:00.00012 +0000 UTC"
    );
    assert_eq!(
        Time::unix(951_782_400, 0).to_string(),
        "2000-02-29 00:00:00 +0000 UTC",
        "a leap day"
    );
}

#[cfg(not(miri))]
#[test]
fn a_clock_reading_displays_its_monotonic_part() {
    assert!(!time::now().is_zero());
    assert!(Time::default().before(time::now()));
    // A time read from the clock shows its monotonic reading, as Go's does.
    let now = time::now().to_string();
    let m = now.split(" m=+").nth(1).unwrap_or_else(|| panic!("{now}"));
    let (secs, nanos) = m.split_once('.').unwrap();
    assert!(secs.parse::<u64>().is_ok() && nanos.len() == 9, "{now}");
    assert!(!time::now().strip_mono().to_string().contains("m="));
}

#[test]
fn add_sub_and_ordering() {
    let t = Time::unix(10, 0);
    let u = t.add(1500 * time::MILLISECOND);
    assert_eq!(u, Time::unix(11, 500_000_000));
    assert_eq!(u.sub(t), 1500 * time::MILLISECOND);
    assert_eq!(
        t.sub(u),
        Duration::ZERO,
        "Rust durations are unsigned: saturates"
    );
    assert!(t.before(u) && u.after(t) && t.equal(t) && !t.equal(u));
    assert!(t < u);
    assert_eq!(u.clock(), (0, 0, 11));
    assert_eq!(u.nanosecond(), 500_000_000);
    assert_eq!(u.unix_milli(), 11_500);
    assert_eq!(Time::unix(0, -1).unix_nano(), -1);
    // Before 1970, Go rounds down to the millisecond, not toward zero.
    assert_eq!(Time::unix(0, -1).unix_milli(), -1);
    assert_eq!(Time::unix(-1, 500_000_001).unix_milli(), -500);
    assert_eq!(Time::unix(-1, 0).unix_milli(), -1000);
}

#[cfg(not(miri))]
#[test]
fn clock_times_compare_by_their_monotonic_readings() {
    let a = time::now();
    let b = a.add(time::SECOND);
    assert_eq!(b.sub(a), time::SECOND);
    assert_eq!(b.instant(), a.instant().map(|i| i + time::SECOND));
    // Without the monotonic part the wall clock decides, with the same answer here.
    assert_eq!(b.strip_mono().sub(a), time::SECOND);
    assert!(a.before(b) && b.strip_mono().after(a));
    let later = time::now();
    assert!(!later.before(a));
    assert_eq!(time::since(later.add(time::HOUR)), Duration::ZERO);
}
