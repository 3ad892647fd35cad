//! The comparison table: medians, ratios, goals, and the header naming the machine and the
//! toolchains, as Markdown.

use std::fmt::Write as _;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::suite::{Goal, Unit, Workload};

/// The columns of the table that hold measurements.
pub const COLUMNS: [&str; 4] = ["Go", "gocsp", "gocsp (threads)", "crossbeam (threads)"];

/// Every sample of one workload, per column (in [`COLUMNS`] order).
#[derive(Clone, Debug)]
pub struct Row {
    /// The workload.
    pub workload: Workload,
    /// Samples per column; empty where the column does not apply or failed.
    pub samples: [Vec<f64>; 4],
}

impl Row {
    /// A row with no samples yet.
    pub fn new(workload: Workload) -> Self {
        Row {
            workload,
            samples: Default::default(),
        }
    }

    /// The median of a column.
    pub fn median(&self, col: usize) -> Option<f64> {
        median(&self.samples[col])
    }

    /// gocsp / Go.
    pub fn ratio_go(&self) -> Option<f64> {
        Some(self.median(1)? / self.median(0)?)
    }

    /// The lowest and highest gocsp/Go ratio of a single round (the columns are measured in
    /// the same order every round, so round `i` of each is side by side).
    pub fn ratio_go_range(&self) -> Option<(f64, f64)> {
        let (go, gocsp) = (&self.samples[0], &self.samples[1]);
        if go.len() != gocsp.len() || go.len() < 2 {
            return None;
        }
        let ratios = gocsp.iter().zip(go).map(|(a, b)| a / b);
        Some(ratios.fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(r), hi.max(r))))
    }

    /// gocsp / crossbeam.
    pub fn ratio_crossbeam(&self) -> Option<f64> {
        Some(self.median(1)? / self.median(3)?)
    }

    /// Whether gocsp meets the row's goal.
    pub fn met(&self) -> Option<bool> {
        self.workload.goal.met(
            self.median(0),
            self.median(1),
            self.median(2),
            self.median(3),
        )
    }
}

/// The median of `v` (mean of the middle two for an even count).
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    Some(if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    })
}

/// What the results were measured on.
#[derive(Clone, Debug)]
pub struct Machine {
    /// CPU model and core count.
    pub cpu: String,
    /// Distribution and kernel.
    pub os: String,
    /// `rustc -V`.
    pub rustc: String,
    /// `go version`, or why there is none.
    pub go: String,
    /// crossbeam-channel's version from Cargo.lock.
    pub crossbeam: String,
    /// UTC date and time.
    pub date: String,
    /// The 1-minute load average when the run started (other work on the machine skews
    /// results).
    pub load: String,
}

impl Machine {
    /// Reads it all from the system.
    pub fn detect(go: Option<&str>) -> Machine {
        let model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let distro = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_string())
            })
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| format!(", Linux {}", s.trim()))
            .unwrap_or_default();
        Machine {
            cpu: format!("{model}, {cores} cores"),
            os: format!("{distro}{kernel}"),
            rustc: command_line("rustc", &["-V"]).unwrap_or_else(|| "rustc: unknown".into()),
            go: go.unwrap_or("Go: not installed").to_string(),
            crossbeam: crossbeam_version(),
            date: utc_now(),
            load: load_average(),
        }
    }
}

/// The 1-minute load average, from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn crossbeam_version() -> String {
    let lock = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    std::fs::read_to_string(lock)
        .ok()
        .and_then(|s| {
            let i = s.find("name = \"crossbeam-channel\"")?;
            let rest = &s[i..];
            let v = rest.lines().nth(1)?.strip_prefix("version = ")?;
            Some(format!("crossbeam-channel {}", v.trim_matches('"')))
        })
        .unwrap_or_else(|| "crossbeam-channel".to_string())
}

/// The current UTC time as "YYYY-MM-DD HH:MM UTC".
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// A number in a row's unit, to about three significant digits.
pub fn format_value(v: Option<f64>, unit: Unit) -> String {
    let Some(v) = v else {
        return "—".to_string();
    };
    match unit {
        Unit::Bytes => group(v.round() as u64),
        Unit::Ns if v >= 100_000.0 => format!("{:.0} us", v / 1000.0),
        Unit::Ns if v >= 10_000.0 => format!("{:.1} us", v / 1000.0),
        _ if v >= 1000.0 => group(v.round() as u64),
        _ if v >= 100.0 => format!("{v:.0}"),
        _ if v >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio as "0.42x".
pub fn format_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 10.0 => format!("{r:.0}x"),
        Some(r) if r >= 0.1 => format!("{r:.2}x"),
        Some(r) if r >= 0.01 => format!("{r:.3}x"),
        Some(r) => format!("{r:.4}x"),
        None => "—".to_string(),
    }
}

/// The whole report as Markdown: header, table, notes.
pub fn markdown(machine: &Machine, rows: &[Row], rounds: usize, elapsed_s: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# gocsp benchmarks: gocsp vs Go vs crossbeam\n");
    let _ = writeln!(s, "- date: {}", machine.date);
    let _ = writeln!(
        s,
        "- machine: {} (load average {} at the start, {} at the end)",
        machine.cpu,
        machine.load,
        load_average()
    );
    let _ = writeln!(s, "- OS: {}", machine.os);
    let _ = writeln!(s, "- Rust: {}", machine.rustc);
    let _ = writeln!(s, "- Go: {}", machine.go);
    let _ = writeln!(s, "- baseline: {}", machine.crossbeam);
    let _ = writeln!(
        s,
        "- method: median of {rounds} interleaved runs per cell (each after one unmeasured \
         warm-up), all in one `compare` run ({elapsed_s:.0} s); GOMAXPROCS and gocsp's \
         worker count left at their defaults\n"
    );
    let header = [
        "workload",
        "unit",
        COLUMNS[0],
        COLUMNS[1],
        COLUMNS[2],
        COLUMNS[3],
        "gocsp/Go",
        "gocsp/crossbeam",
        "goal",
        "result",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    let mut notes = Vec::new();
    for row in rows {
        let w = &row.workload;
        let mut title = w.title.to_string();
        if !w.note.is_empty() {
            notes.push(w.note);
            title.push_str(&format!(" [{}]", notes.len()));
        }
        let ratio_cb = match w.goal {
            Goal::AtMostBytes(_) => None,
            _ => row.ratio_crossbeam(),
        };
        table.push(vec![
            title,
            w.unit.label().to_string(),
            format_value(row.median(0), w.unit),
            format_value(row.median(1), w.unit),
            format_value(row.median(2), w.unit),
            format_value(row.median(3), w.unit),
            match (row.ratio_go(), row.ratio_go_range()) {
                (Some(r), Some((lo, hi))) => format!(
                    "{} ({}–{})",
                    format_ratio(Some(r)),
                    format_ratio(Some(lo)).trim_end_matches('x'),
                    format_ratio(Some(hi)).trim_end_matches('x')
                ),
                (r, _) => format_ratio(r),
            },
            format_ratio(ratio_cb),
            w.goal.label(),
            match row.met() {
                Some(true) => "pass".to_string(),
                Some(false) => "**miss**".to_string(),
                None => "—".to_string(),
            },
        ]);
    }
    s.push_str(&aligned(&table));
    s.push('\n');
    for (i, n) in notes.iter().enumerate() {
        let _ = writeln!(s, "[{}] {n}.  ", i + 1);
    }
    let _ = writeln!(
        s,
        "\nColumns: Go = the Go twin (`benches/go`); gocsp = goroutines on the gocsp runtime; \
         gocsp (threads) = gocsp's channels used from `std::thread`s; crossbeam (threads) = \
         crossbeam-channel on `std::thread`s (plain `std::thread` spawn/join for the spawn \
         row). Lower is better everywhere. gocsp/Go is the ratio of the medians; in brackets, \
         the lowest and highest ratio within a single round."
    );
    s
}

/// A Markdown table with padded columns, readable as plain text too.
fn aligned(rows: &[Vec<String>]) -> String {
    let cols = rows[0].len();
    let width: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = String::new();
    for (i, r) in rows.iter().enumerate() {
        s.push('|');
        for c in 0..cols {
            let pad = width[c] - r[c].chars().count();
            if c < 2 {
                let _ = write!(s, " {}{} |", r[c], " ".repeat(pad));
            } else {
                let _ = write!(s, " {}{} |", " ".repeat(pad), r[c]);
            }
        }
        s.push('\n');
        if i == 0 {
            s.push('|');
            for (c, w) in width.iter().enumerate() {
                let dashes = "-".repeat(*w);
                if c < 2 {
                    let _ = write!(s, " {dashes} |");
                } else {
                    let _ = write!(s, " {}: |", &dashes[1..]);
                }
            }
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_formats() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(format_value(Some(1234.4), Unit::Ns), "1,234");
        assert_eq!(format_value(Some(48_000.0), Unit::Ns), "48.0 us");
        assert_eq!(format_value(Some(2.14), Unit::Ns), "2.14");
        assert_eq!(format_ratio(Some(0.5)), "0.50x");
        assert!(utc_now().ends_with("UTC"));
    }
}
