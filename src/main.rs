//! The `confq` binary: clap subcommands that wire the crates together, nothing more.

mod cli;
mod commands;
mod exit;
mod logging;
mod private_redis;
mod progress;
mod services;
mod settings;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Long-running services log their progress; one-shot commands only warnings.
    let level = match cli.command {
        cli::Command::Api(_)
        | cli::Command::Worker(_)
        | cli::Command::Reaper
        | cli::Command::Dev(_) => "info,sqlx=warn,sea_orm=warn",
        _ => "warn,sqlx=error,sea_orm=error",
    };
    logging::init(cli.settings.log_format, level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return exit::Failure::runtime(format!("cannot start the runtime: {error}")).report();
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
