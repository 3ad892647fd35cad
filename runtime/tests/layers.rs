//! The runtime's layers, kept by a test: a module names only modules of its own layer or of
//! the layers below it (ARCHITECTURE.md draws them). The test reads `src/` and resolves every
//! `crate::…` and `super::…` path in code (comments and strings are skipped) to the top-level
//! module it names, through the crate root's re-exports where the path names one.
//!
//! `cargo test -p gocsp --test layers -- --nocapture` also prints the import graph, one line
//! per file.
#![cfg_attr(miri, allow(unused))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A new top-level module must be placed here (the test fails
/// until it is).
const LAYERS: &[(&str, &[&str])] = &[
    ("leaves", &["block", "loom", "rng", "spin"]),
    ("scheduler core", &["sched"]),
    ("park/wake", &["waiter", "oneshot"]),
    ("channels", &["chan"]),
    (
        "user API",
        &[
            "", // the crate root (lib.rs) and what it defines itself (prelude, macros)
            "__private",
            "blocking",
            "context",
            "goroutine",
            "macros",
            "net",
            "select",
            "sync",
            "time",
        ],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// The source with comments, string and char literals blanked (newlines kept, so line numbers
/// stay right).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, s: &[u8]| {
        for &c in s {
            out.push(if c == b'\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            let mut j = 0;
            while j < rest.len() {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if rest.starts_with(b"r\"") || rest.starts_with(b"r#") {
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let start = 2 + hashes;
            let end = rest[start..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(rest.len(), |p| start + p + close.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'"'
            || (rest[0] == b'\'' && (rest.get(1) == Some(&b'\\') || rest.get(2) == Some(&b'\'')))
        {
            // A string, or a char literal ('x' or an escape; a lifetime ('a) has no closing
            // quote there): up to the same quote, not escaped.
            let quote = rest[0];
            let mut j = 1;
            while j < rest.len() && rest[j] != quote {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else {
            let len = src[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&src[i..i + len]);
            i += len;
        }
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Every path this code names through `crate::` or `super::`, as (line, path segments from the
/// crate root). `use crate::{a, b::c}` gives `a` and `b`. `module` is the file's module path;
/// inline `mod name { … }` blocks extend it while they last, so `super::` inside them
/// resolves as rustc resolves it. A glob (`use super::*`) names nothing by itself.
fn paths(code: &str, file_module: &[String]) -> Vec<(usize, Vec<String>)> {
    let b = code.as_bytes();
    let mut found = Vec::new();
    let mut module = file_module.to_vec();
    // Inline modules open now: the brace depth inside each.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let at_start = i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b'$');
        if b[i] == b'{' {
            depth += 1;
        } else if b[i] == b'}' {
            if inline.last() == Some(&depth) {
                inline.pop();
                module.pop();
            }
            depth = depth.saturating_sub(1);
        } else if at_start && code[i..].starts_with("mod ") {
            // `mod name {` opens an inline module; `mod name;` names a file.
            let rest = &code[i + 4..];
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|&c| c.is_ascii_alphanumeric() || c == '_')
                .collect();
            let after = rest.trim_start()[name.len()..].trim_start();
            if !name.is_empty() && after.starts_with('{') {
                let brace = i + 4 + (rest.len() - after.len());
                module.push(name);
                depth += 1;
                inline.push(depth);
                i = brace + 1;
                continue;
            }
        }
        let (base, skip) = if at_start && code[i..].starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if at_start && code[i..].starts_with("super::") {
            let mut base = module.to_vec();
            let mut j = i;
            while code[j..].starts_with("super::") {
                base.pop();
                j += "super::".len();
            }
            (base, j - i)
        } else {
            i += 1;
            continue;
        };
        let line = code[..i].matches('\n').count() + 1;
        i += skip;
        let heads: Vec<String> = if b.get(i) == Some(&b'{') {
            // A use group: the first segment of each member.
            let end = code[i..].find('}').map_or(code.len(), |e| i + e);
            code[i + 1..end]
                .split(',')
                .filter_map(|m| m.trim().split("::").next())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() && s != "self" && s != "*")
                .collect()
        } else {
            let start = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            if start == i {
                continue; // a glob
            }
            vec![code[start..i].to_string()]
        };
        for h in heads {
            let mut p = base.clone();
            p.push(h);
            found.push((line, p));
        }
    }
    found
}

/// What each name defined at the crate root by a `pub use module::…` re-export comes from.
fn root_reexports(lib_rs: &str) -> BTreeMap<String, String> {
    let code = code_only(lib_rs);
    let mut map = BTreeMap::new();
    let mut rest = code.as_str();
    while let Some(p) = rest.find("pub use ") {
        rest = &rest[p + "pub use ".len()..];
        let end = rest.find(';').unwrap_or(rest.len());
        let stmt: String = rest[..end].split_whitespace().collect();
        rest = &rest[end..];
        let Some((module, names)) = stmt.split_once("::") else {
            continue;
        };
        if matches!(module, "crate" | "self" | "super") {
            continue; // the prelude's list of root names
        }
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for n in names.split(',').filter(|n| !n.is_empty()) {
            let n = n.rsplit("::").next().unwrap_or(n);
            let n = n.rsplit(" as ").next().unwrap_or(n);
            map.insert(n.to_string(), module.to_string());
        }
    }
    map
}

struct Tree {
    /// (path relative to `src/`, module path, source)
    files: Vec<(PathBuf, Vec<String>, String)>,
    top_modules: BTreeSet<String>,
    reexports: BTreeMap<String, String>,
}

fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn read_tree(src: &Path) -> Tree {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, Vec<String>, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                let module = module_path(&rel);
                out.push((rel, module, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(src, src, &mut files);
    let top_modules = files
        .iter()
        .map(|(_, m, _)| m.first().cloned().unwrap_or_default())
        .collect();
    let lib = files
        .iter()
        .find(|(rel, _, _)| rel == Path::new("lib.rs"))
        .map(|(_, _, s)| s.clone())
        .unwrap_or_default();
    Tree {
        files,
        top_modules,
        reexports: root_reexports(&lib),
    }
}

impl Tree {
    /// The top-level module a path from the crate root lands in.
    fn resolve(&self, path: &[String]) -> String {
        let first = &path[0];
        if self.top_modules.contains(first) && !first.is_empty() {
            first.clone()
        } else if let Some(m) = self.reexports.get(first) {
            m.clone()
        } else {
            // Defined in lib.rs itself: the prelude, exported macros, the crate's own items.
            String::new()
        }
    }

    /// For each file: the top-level modules it names.
    fn graph(&self) -> Vec<(&Path, String, BTreeMap<String, usize>)> {
        self.files
            .iter()
            .map(|(rel, module, src)| {
                let own = module.first().cloned().unwrap_or_default();
                let mut names = BTreeMap::new();
                for (line, p) in paths(&code_only(src), module) {
                    let target = self.resolve(&p);
                    if target != own {
                        names.entry(target).or_insert(line);
                    }
                }
                (rel.as_path(), own, names)
            })
            .collect()
    }

    /// Every import that points up a layer, and every module placed in no layer.
    fn violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in &self.top_modules {
            if layer_of(m).is_none() {
                out.push(format!("module `{m}` is in no layer: place it in LAYERS"));
            }
        }
        for (rel, own, names) in self.graph() {
            let Some(mine) = layer_of(&own) else { continue };
            for (target, line) in names {
                let Some(theirs) = layer_of(&target) else {
                    continue;
                };
                if theirs > mine {
                    let shown = if target.is_empty() {
                        "the crate root"
                    } else {
                        &target
                    };
                    out.push(format!(
                        "src/{}:{line} names `{shown}` ({} layer) from the {} layer",
                        rel.display(),
                        LAYERS[theirs].0,
                        LAYERS[mine].0,
                    ));
                }
            }
        }
        out
    }
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let tree = read_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    for (rel, _, names) in tree.graph() {
        let names: Vec<&str> = names
            .keys()
            .map(|k| if k.is_empty() { "(root)" } else { k })
            .collect();
        println!("{}: {}", rel.display(), names.join(" "));
    }
    let v = tree.violations();
    assert!(
        v.is_empty(),
        "imports against the layering (ARCHITECTURE.md, \"Layers\"):\n  {}",
        v.join("\n  ")
    );
}

/// The checker itself: it must catch an upward import in each form, and only in code.
#[test]
fn the_check_catches_upward_imports_in_every_form() {
    let file = |rel: &str, src: &str| {
        let rel = PathBuf::from(rel);
        let module = module_path(&rel);
        (rel, module, src.to_string())
    };
    let tree = Tree {
        files: vec![
            file(
                "lib.rs",
                "mod chan; mod sched; mod time;\npub use sched::{go, spawn};",
            ),
            file(
                "chan/zero.rs",
                "// crate::time in a comment\nlet s = \"crate::time\";\nlet c = '\"';\n\
                 use crate::{waiter, time::sleep};\nfn f() { crate::go(|| ()); }\n",
            ),
            file("chan/mod.rs", "mod zero;\n"),
            file("sched/task.rs", "use super::super::chan::Chan;\n"),
            file("sched/mod.rs", "mod task; fn f() {}\n"),
            file(
                "sched/slab.rs",
                "mod tests {\n    use super::*;\n    fn f() { super::Slab::new(); }\n}\n\
                 mod inner { mod deeper { use super::super::super::super::waiter; } }\n",
            ),
            file("time/mod.rs", "use crate::chan::Chan; use crate::sched;\n"),
            file("waiter.rs", "use crate::sched::Task;\n"),
        ],
        top_modules: ["", "chan", "sched", "time", "waiter"]
            .map(String::from)
            .into(),
        reexports: root_reexports("pub use sched::{go, spawn};"),
    };
    let v = tree.violations();
    assert_eq!(
        v,
        [
            "src/chan/zero.rs:4 names `time` (user API layer) from the channels layer",
            "src/sched/task.rs:1 names `chan` (channels layer) from the scheduler core layer",
            "src/sched/slab.rs:5 names `waiter` (park/wake layer) from the scheduler core layer",
        ],
        "{v:#?}"
    );
    // `crate::go` resolves through the root's re-export to `sched`, which is below `chan`.
    let graph = tree.graph();
    let zero = &graph[1].2;
    assert!(
        zero.contains_key("sched") && zero.contains_key("waiter"),
        "{zero:?}"
    );
}
