//! `diachi resolve`: addresses in, resolutions out as JSON lines.

use std::io::Write;

use super::DatasetArgs;

/// The flags of `resolve`.
#[derive(clap::Args)]
pub struct ResolveArgs {
    /// Addresses; none = read standard input.
    addresses: Vec<String>,
    #[command(flatten)]
    dataset: DatasetArgs,
}

pub fn run(args: ResolveArgs) -> anyhow::Result<()> {
    let ix = args.dataset.build_index()?;
    let resolver = diachi_resolve::Resolver::build(&ix);
    let inputs: Vec<String> =
        if args.addresses.is_empty() { std::io::stdin().lines().collect::<Result<_, _>>()? } else { args.addresses };
    let mut out = std::io::stdout().lock();
    for a in inputs {
        serde_json::to_writer(&mut out, &resolver.resolve(&ix, &a, None))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
