//! Building and running the Go twin (`go/main.go`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The built Go twin.
#[derive(Debug)]
pub struct GoTwin {
    bin: PathBuf,
    /// `go version` output, e.g. "go version go1.19.8 linux/amd64".
    pub version: String,
}

/// Where the twin's source lives.
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("go")
}

/// The advice printed when Go is missing.
pub const INSTALL_HINT: &str = "Go was not found on PATH: install it (Debian/Ubuntu: `apt-get install golang-go`, \
     Go 1.19 or later) to get the Go column; the Rust side runs anyway.";

impl GoTwin {
    /// Builds the twin with `go build` into `dir`; `Err` says why it could not.
    pub fn build(dir: &Path) -> Result<GoTwin, String> {
        let version = Command::new("go")
            .arg("version")
            .output()
            .map_err(|_| INSTALL_HINT.to_string())?;
        if !version.status.success() {
            return Err(INSTALL_HINT.to_string());
        }
        let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let bin = dir.join("gotwin");
        let out = Command::new("go")
            .arg("build")
            .arg("-o")
            .arg(&bin)
            .arg(".")
            .current_dir(source_dir())
            .output()
            .map_err(|e| format!("go build: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "go build failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(GoTwin { bin, version })
    }

    /// Runs one workload (one warm-up run, then one measured run, in a fresh process) and
    /// returns its result lines as name → value.
    pub fn run(&self, workload: &str, size: usize) -> Result<HashMap<String, f64>, String> {
        self.run_procs(workload, size, None)
    }

    /// [`run`](Self::run) with `GOMAXPROCS` set to `procs` (left alone when `None`).
    pub fn run_procs(
        &self,
        workload: &str,
        size: usize,
        procs: Option<usize>,
    ) -> Result<HashMap<String, f64>, String> {
        let mut cmd = Command::new(&self.bin);
        if let Some(p) = procs {
            cmd.env("GOMAXPROCS", p.to_string());
        }
        let out = cmd
            .args(["-warmup", "1", workload, &size.to_string()])
            .output()
            .map_err(|e| format!("running the Go twin: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "the Go twin failed on {workload}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(parse_lines(&String::from_utf8_lossy(&out.stdout)))
    }
}

/// Parses "name value" lines.
pub fn parse_lines(s: &str) -> HashMap<String, f64> {
    s.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let name = it.next()?;
            let v = it.next()?.parse().ok()?;
            Some((name.to_string(), v))
        })
        .collect()
}
