//! `diachi generate`: the synthetic national address set as CSV or GeoJSON lines.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use diachi_geo::dataset::output::{self, Format};
use diachi_server::config::{DEFAULT_SEED, Households};

use super::{open_out, read_postcodes};

/// The flags of `generate`.
#[derive(clap::Args)]
pub struct GenerateArgs {
    /// Number of households, or `full` for the national figure (26,870,079).
    #[arg(long, default_value = "100000")]
    households: Households,
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// `csv` or `geojsonl` (one GeoJSON Feature per line).
    #[arg(long, default_value = "csv")]
    format: Format,
    /// Output file for the addresses (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the post offices to this file (same format).
    #[arg(long)]
    post_offices: Option<PathBuf>,
    /// An official ward → postcode table written by `diachi import postcodes`.
    #[arg(long)]
    postcodes_file: Option<PathBuf>,
}

pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let t = Instant::now();
    let postcodes = read_postcodes(args.postcodes_file.as_deref())?;
    let data = diachi_synth::build_dataset(args.households.0, args.seed, postcodes)?;
    let generated = t.elapsed();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, open_out(args.out.as_deref())?);
    output::write_addresses(&mut w, &data.geography, &data.addresses, args.format)?;
    w.flush()?;
    if let Some(p) = &args.post_offices {
        let mut w = std::io::BufWriter::new(open_out(Some(p))?);
        output::write_post_offices(&mut w, &data.geography, &data.post_offices, args.format)?;
        w.flush()?;
    }
    tracing::info!(
        addresses = data.addresses.len(),
        post_offices = data.post_offices.len(),
        generate_s = generated.as_secs_f64(),
        total_s = t.elapsed().as_secs_f64(),
        "generated"
    );
    Ok(())
}
