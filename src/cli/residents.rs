//! `diachi residents`: synthetic residents of the generated households, as CSV.

use diachi_geo::index::NationalIndex;
use diachi_server::config::DEFAULT_SEED;
use diachi_synth::{forms::OldForms, residents};

/// The flags of `residents`.
#[derive(clap::Args)]
pub struct ResidentsArgs {
    /// Households of the generated set the residents live in.
    #[arg(long, default_value = "100000")]
    households: u32,
    /// Residents to write.
    #[arg(long, default_value = "1000")]
    count: u64,
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

pub fn run(args: &ResidentsArgs) -> anyhow::Result<()> {
    let data = diachi_synth::build_dataset(u64::from(args.households), args.seed, None)?;
    let ix = NationalIndex::build(data);
    let forms = OldForms::new(&ix.data.geography);
    let people = residents::residents(args.seed, args.households, args.count).map(|r| {
        let address = residents::papers_address(&ix, &forms, &r).unwrap_or_default();
        (r, address)
    });
    residents::write_csv(std::io::stdout().lock(), people)?;
    Ok(())
}
