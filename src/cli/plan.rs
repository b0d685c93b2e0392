//! `diachi plan`: a delivery plan request file in, the plan (JSON or GeoJSON) out.

use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

use diachi_delivery::{PlanRequest, Settings};

use super::DatasetArgs;

/// The flags of `plan`.
#[derive(clap::Args)]
pub struct PlanArgs {
    /// The plan request (JSON); `-` = standard input.
    file: PathBuf,
    /// Print the plan as GeoJSON instead of JSON.
    #[arg(long)]
    geojson: bool,
    #[command(flatten)]
    dataset: DatasetArgs,
}

pub fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let file = &args.file;
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
    };
    let request: PlanRequest = serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let settings = Settings::default();
    let batch = request.check(&settings)?;
    let ix = args.dataset.build_index()?;
    diachi_delivery::plan::check_offices(&ix, &batch)?;
    let resolver = diachi_resolve::Resolver::build(&ix);
    let plan = diachi_delivery::plan(&ix, &resolver, &batch, &settings, &|_| {})?;
    let mut out = std::io::stdout().lock();
    if args.geojson {
        serde_json::to_writer(&mut out, &diachi_delivery::output::geojson(&plan))?;
    } else {
        serde_json::to_writer_pretty(&mut out, &plan)?;
    }
    out.write_all(b"\n")?;
    Ok(())
}
