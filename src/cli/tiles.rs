//! `diachi tiles export`: a source's tiles into a PMTiles or MBTiles file.

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

use diachi_tiles::Source;
use diachi_tiles::export::{Bbox, ExportOptions};

use super::{DatasetArgs, load_config, read_postcodes};

/// What `tiles` does.
#[derive(Subcommand)]
pub enum TilesCommand {
    /// Render a source's tiles over a zoom range and box into a PMTiles or MBTiles file (by --out's extension).
    Export(ExportArgs),
}

/// The flags of `tiles export`.
#[derive(clap::Args, Serialize)]
pub struct ExportArgs {
    /// The source to export: `vietnam` (every layer) or one layer's name.
    #[arg(long, default_value = "vietnam")]
    #[serde(skip)]
    source: Source,
    #[arg(long, default_value_t = 0)]
    #[serde(skip)]
    minzoom: u8,
    #[arg(long, default_value_t = 14)]
    #[serde(skip)]
    maxzoom: u8,
    /// minlon,minlat,maxlon,maxlat [default: the national bounds, Hoàng Sa and Trường Sa included].
    #[arg(long, allow_hyphen_values = true)]
    #[serde(skip)]
    bbox: Option<Bbox>,
    /// The file to write: `.pmtiles` or `.mbtiles`.
    #[arg(long, default_value = "tiles/vietnam.pmtiles")]
    #[serde(skip)]
    out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    #[serde(skip)]
    quiet: bool,
    /// Configuration file (TOML), for the dataset settings as `serve` reads them.
    #[arg(long)]
    #[serde(skip)]
    config: Option<PathBuf>,
    #[command(flatten)]
    #[serde(flatten)]
    dataset: DatasetArgs,
}

pub fn run(cmd: TilesCommand) -> anyhow::Result<()> {
    let TilesCommand::Export(args) = cmd;
    let config = load_config(args.config.as_deref(), &args)?;
    let opts = ExportOptions {
        source: args.source,
        minzoom: args.minzoom,
        maxzoom: args.maxzoom,
        bbox: args.bbox.unwrap_or_default(),
        progress: !args.quiet,
    };
    opts.check()?;
    diachi_tiles::export::Format::from_path(&args.out)?;
    let postcodes = read_postcodes(config.postcodes_file.as_deref())?;
    let index = Arc::new(diachi_server::startup::build_index(&config, postcodes)?);
    let renderer = diachi_tiles::TileRenderer::new(index);
    let summary = diachi_tiles::export::export(&renderer, &opts, &args.out)
        .with_context(|| format!("exporting to {}", args.out.display()))?;
    print!("{summary}");
    Ok(())
}
