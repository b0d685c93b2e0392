//! `diachi testdata`: labelled sets of messy addresses.

use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

use super::{DatasetArgs, open_out};

/// The labelled sets `testdata` writes.
#[derive(Subcommand)]
pub enum TestdataCommand {
    /// Write messy addresses with their labels (JSON lines), made by the seeded noise model from the generated set.
    Noisy {
        #[command(flatten)]
        dataset: DatasetArgs,
        /// Lines to write.
        #[arg(long, default_value_t = 10_000)]
        count: u32,
        /// Seed of the noise model.
        #[arg(long, default_value_t = 1)]
        noise_seed: u64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(cmd: TestdataCommand) -> anyhow::Result<()> {
    let TestdataCommand::Noisy { dataset, count, noise_seed, out } = cmd;
    let ix = dataset.build_index()?;
    let mut w = std::io::BufWriter::new(open_out(out.as_deref())?);
    for line in diachi_synth::noise::generate(&ix, count, noise_seed) {
        serde_json::to_writer(&mut w, &line)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}
