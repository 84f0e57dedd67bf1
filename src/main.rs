//! The `confq` binary: clap subcommands that wire the crates together, nothing more.

fn main() {
    println!("confq");
}
