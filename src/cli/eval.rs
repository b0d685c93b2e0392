//! `diachi eval resolve`: the resolver's accuracy and speed on a labelled set.

use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;
use std::time::Instant;

use diachi_resolve::Resolver;
use diachi_synth::eval::{Labelled, evaluate_listing};

use super::DatasetArgs;

/// What `eval` measures.
#[derive(Subcommand)]
pub enum EvalCommand {
    /// Ward-level and exact accuracy and single-thread throughput on a labelled set (JSON report on stdout).
    Resolve {
        /// The labelled set (`testdata/addresses-noisy.jsonl`).
        #[arg(default_value = "testdata/addresses-noisy.jsonl")]
        file: PathBuf,
        /// The dataset the set was made from (see testdata/README.md).
        #[command(flatten)]
        dataset: DatasetArgs,
        /// Timed passes over the set (the best is reported).
        #[arg(long, default_value_t = 3)]
        passes: u32,
        /// Do not give the lines' coordinates to the resolver (text only).
        #[arg(long)]
        no_coordinates: bool,
        /// Resolve without the street register (administrative names only), as a parser without one would.
        #[arg(long)]
        without_register: bool,
        /// How many wrong lines of each kind to list in the report.
        #[arg(long, default_value_t = diachi_synth::eval::LISTED_ERRORS)]
        list_errors: usize,
    },
}

pub fn run(cmd: EvalCommand) -> anyhow::Result<()> {
    let EvalCommand::Resolve { file, dataset, passes, no_coordinates, without_register, list_errors } = cmd;
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let lines = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str::<Labelled>)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing {}", file.display()))?;
    let ix = dataset.build_index()?;
    let t = Instant::now();
    let resolver = if without_register { Resolver::without_register(&ix) } else { Resolver::build(&ix) };
    tracing::info!(build_s = t.elapsed().as_secs_f64(), lines = lines.len(), "resolver built");
    let report = evaluate_listing(&resolver, &ix, &lines, passes, !no_coordinates, list_errors);
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
