//! The `diachi` command: parses the command line and hands over to one `cli/` module per subcommand.

mod cli;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    cli::Cli::parse().run()
}
