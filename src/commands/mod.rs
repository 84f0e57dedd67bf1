//! One module per subcommand; `run` dispatches.

mod api;
mod btool;
mod cancel;
mod dead;
mod dev;
mod diff;
mod enqueue;
mod ingest;
mod metrics;
mod migrate;
mod reaper;
pub(crate) mod search;
mod status;
mod table;
mod task;
mod worker;

use crate::cli::{Cli, Command};
use crate::exit::Failure;

/// Runs the parsed command line.
///
/// # Errors
/// The command's failure, with its exit code.
pub(crate) async fn run(cli: Cli) -> Result<(), Failure> {
    let settings = cli.settings;
    match cli.command {
        Command::Api(args) => api::run(&settings, &args).await,
        Command::Worker(args) => worker::run(&settings, &args).await,
        Command::Reaper(args) => reaper::run(&settings, &args).await,
        Command::Migrate => migrate::run(&settings).await,
        Command::Dev(args) => dev::run(&settings, &args).await,
        Command::Ingest(args) => ingest::run(&settings, &args).await,
        Command::Status(args) => status::run(&settings, &args).await,
        Command::Metrics(args) => metrics::run(&settings, &args).await,
        Command::Enqueue(args) => enqueue::run(&settings, &args).await,
        Command::Dead(args) => dead::run(&settings, &args).await,
        Command::Task(args) => task::run(&settings, &args).await,
        Command::Cancel(args) => cancel::run(&settings, &args).await,
        Command::Btool(args) => btool::run(&settings, &args).await,
        Command::Diff(args) => diff::run(&settings, &args).await,
        Command::Settings(args) => search::run(&settings, &args).await,
    }
}
