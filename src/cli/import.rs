//! `diachi import`: official data in place of generated data.

use anyhow::Context;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

use diachi_geo::geography::{Geography, LoadOptions};

use super::{open_out, read_postcodes};

/// What `import` takes.
#[derive(Subcommand)]
pub enum ImportCommand {
    /// Replace the generated ward postcodes with an official table (CSV: ward_code,postcode).
    Postcodes {
        /// The official table.
        file: PathBuf,
        /// Where to write the checked, canonical table that `serve --postcodes-file` and `generate` read.
        #[arg(long, default_value = "data/postcodes.official.csv")]
        out: PathBuf,
    },
}

pub fn run(cmd: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Postcodes { file, out } = cmd;
    let table = read_postcodes(Some(&file))?.context("no table")?;
    // check it against the geography before writing anything
    let geo = Geography::load(&LoadOptions { postcodes: Some(table.clone()) })?;
    let mut w = std::io::BufWriter::new(open_out(Some(&out))?);
    table.write_csv(&mut w)?;
    w.flush()?;
    println!(
        "imported {} ward postcodes ({} postal zones); serve or generate with --postcodes-file {}",
        table.0.len(),
        geo.zones.len(),
        out.display()
    );
    Ok(())
}
