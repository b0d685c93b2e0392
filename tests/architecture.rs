//! The architecture as written is the architecture as built: ARCHITECTURE.md's crate graph is `cargo metadata`'s,
//! and the layers that must not know HTTP, or anything of diachi, do not depend on it.

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
