//! The `confq` binary: clap subcommands that wire the crates together, nothing more.
#![warn(unreachable_pub)] // a binary has no API: items shared between its modules are `pub(crate)`

mod celery_args;
mod cli;
mod commands;
mod exit;
mod logging;
mod output;
mod private_redis;
mod probe;
mod progress;
mod services;
mod settings;
mod terminal;
mod worker_metrics;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

/// Every `confq` process allocates through mimalloc (docs/benchmarks.md, "Task throughput").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    // Long-running services log their progress; one-shot commands only warnings.
    let level = match cli.command {
        cli::Command::Api(_)
        | cli::Command::Worker(_)
        | cli::Command::Reaper(_)
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

/// Help and version go to stdout as clap renders them; every other parse error becomes the one
/// line the contract asks for, with exit code 2.
fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => missing_command(error),
        _ => {
            // clap's first paragraph, folded onto one line: its indented continuation lines name
            // the missing argument or the possible values.
            let rendered = error.render().to_string();
            let paragraph: Vec<&str> = rendered
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            let joined = paragraph.join(" ");
            let what = joined.strip_prefix("error: ").unwrap_or(&joined);
            let what = if what.is_empty() {
                "invalid arguments"
            } else {
                what
            };
            exit::Failure::usage(format!("{what} — see 'confq --help'")).report()
        }
    }
}

/// `confq` or `confq dead` alone: a usage error (exit 2) naming the commands it can take.
fn missing_command(error: &clap::Error) -> ExitCode {
    let rendered = error.render().to_string();
    let usage = rendered
        .lines()
        .find_map(|line| line.trim().strip_prefix("Usage: "))
        .unwrap_or("confq");
    let path: Vec<&str> = usage
        .split_whitespace()
        .take_while(|word| !word.starts_with(['[', '<']))
        .collect();
    let mut command = cli::Cli::command();
    for name in path.iter().skip(1) {
        match command.find_subcommand(name) {
            Some(sub) => command = sub.clone(),
            None => break,
        }
    }
    let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
    let path = path.join(" ");
    exit::Failure::usage(format!(
        "'{path}' needs a command: {} — see '{path} --help'",
        names.join(", ")
    ))
    .report()
}
