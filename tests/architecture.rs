//! The architecture as written is the architecture as built: ARCHITECTURE.md's crate graph is `cargo metadata`'s,
//! and the layers that must not know HTTP, or anything of diachi, do not depend on it; the README names every error
//! code the code can answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;

/// Each workspace package with its normal (not dev) dependencies.
fn packages() -> BTreeMap<String, Vec<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let mut packages = BTreeMap::new();
    for p in meta["packages"].as_array().expect("packages") {
        let mut deps: Vec<String> = p["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().expect("a name").to_owned())
            .collect();
        deps.sort();
        packages.insert(p["name"].as_str().expect("a name").to_owned(), deps);
    }
    packages
}

fn diachi_deps(deps: &[String]) -> Vec<&str> {
    deps.iter().map(String::as_str).filter(|d| d.starts_with("diachi")).collect()
}

/// The `crate -> deps` lines between the crate-graph markers of ARCHITECTURE.md.
fn documented() -> BTreeMap<String, Vec<String>> {
    let text = include_str!("../ARCHITECTURE.md");
    let begin = text.find("<!-- crate-graph: begin -->").expect("ARCHITECTURE.md marks the crate graph");
    let end = text.find("<!-- crate-graph: end -->").expect("ARCHITECTURE.md marks the end of the crate graph");
    text[begin..end]
        .lines()
        .filter_map(|l| l.split_once(" -> "))
        .map(|(name, deps)| {
            let deps = if deps.trim() == "(none)" { Vec::new() } else { deps.split(", ").map(str::to_owned).collect() };
            (name.trim().to_owned(), deps)
        })
        .collect()
}

#[test]
fn architecture_md_shows_the_crate_graph_cargo_builds() {
    let built: BTreeMap<String, Vec<String>> = packages()
        .iter()
        .map(|(name, deps)| (name.clone(), diachi_deps(deps).into_iter().map(str::to_owned).collect()))
        .collect();
    assert_eq!(documented(), built, "ARCHITECTURE.md's crate graph differs: run scripts/crate-graph.sh");
}

#[test]
fn only_the_server_knows_http_and_the_router_knows_no_diachi() {
    let packages = packages();
    assert!(packages.len() >= 10, "the workspace has its library crates: {:?}", packages.keys());
    for (name, deps) in &packages {
        let http = deps.iter().any(|d| d.starts_with("actix"));
        assert_eq!(http, name == "diachi-server", "{name} and actix-web: {deps:?}");
    }
    assert!(diachi_deps(&packages["diachi-vrp"]).is_empty(), "vrp depends on no diachi crate");
    assert!(diachi_deps(&packages["diachi-domain"]).is_empty(), "domain is the bottom layer");
}

#[test]
fn the_generator_sits_above_the_resolver_and_the_registry() {
    let packages = packages();
    for below in ["diachi-domain", "diachi-geo", "diachi-tiles", "diachi-resolve", "diachi-registry", "diachi-db"] {
        assert!(!packages[below].iter().any(|d| d == "diachi-synth"), "{below} must not use the generator");
    }
}

/// The `.rs` files under `dir`, recursively.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether the text before a string literal makes it an error code: `code: "…"`, `=> "…"` (in the HTTP layer's
/// mappings), `ApiError::x("…"`,
/// `Self::x("…"`, `invalid("…"`, `err("…"`, or any of those with a `StatusCode::X, ` first.
fn names_an_error_code(before: &str, in_http: bool) -> bool {
    let b = before.trim_end();
    if b.ends_with("code:") || (in_http && b.ends_with("=>")) {
        return true;
    }
    let b = match b.strip_suffix(',') {
        // `(StatusCode::X, "…"` and `new(StatusCode::X, "…"`
        Some(rest) => {
            let rest = rest.trim_end().trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
            let Some(rest) = rest.strip_suffix("StatusCode::") else { return false };
            let rest = rest.trim_end();
            if rest.ends_with('(') && !rest.ends_with("new(") {
                return true;
            }
            rest
        }
        None => b,
    };
    let Some(call) = b.strip_suffix('(') else { return false };
    let name_start = call.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).map_or(0, |i| i + 1);
    let name = &call[name_start..];
    name.starts_with("ApiError::") || name.starts_with("Self::") || name == "invalid" || name == "err"
}

/// Every error code the code can answer (string literals in the error constructors of every crate, tests left
/// out), with a file that uses it.
fn error_codes_in_the_code() -> BTreeMap<String, String> {
    let mut files = Vec::new();
    rust_files(std::path::Path::new("crates"), &mut files);
    let mut codes = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // code only: no tests, no comment lines, no quote characters in char literals (they would pair quotes wrongly)
        let text: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| l.replace("'\"'", "' '").replace("\\\"", "  ") + "\n")
            .collect();
        let text = text.as_str();
        let mut rest = text;
        let mut offset = 0;
        while let Some(q) = rest.find('"') {
            let start = offset + q + 1;
            let Some(len) = text[start..].find('"') else { break };
            let literal = &text[start..start + len];
            let is_snake = literal.contains('_')
                && literal.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && literal.as_bytes()[0].is_ascii_lowercase();
            let in_http = file.to_string_lossy().contains("http");
            if is_snake && names_an_error_code(&text[..start - 1], in_http) {
                codes.entry(literal.to_owned()).or_insert_with(|| file.display().to_string());
            }
            offset = start + len + 1;
            rest = &text[offset..];
        }
    }
    codes
}

#[test]
fn the_readme_lists_every_error_code_the_api_answers() {
    let codes = error_codes_in_the_code();
    // the scan itself: codes of each kind of constructor are found
    for known in ["invalid_coordinates", "plan_quota_exceeded", "uri_too_long", "invalid_level", "invalid_body"] {
        assert!(codes.contains_key(known), "the scan misses {known}: {codes:?}");
    }
    let readme = std::fs::read_to_string("README.md").unwrap();
    let missing: Vec<String> =
        codes.iter().filter(|(c, _)| !readme.contains(&format!("`{c}`"))).map(|(c, f)| format!("{c} ({f})")).collect();
    assert!(missing.is_empty(), "error codes the README does not list: {}", missing.join(", "));
}
