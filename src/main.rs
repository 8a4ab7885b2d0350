//! The `demarche` command: parses the command line and hands each command to
//! the library. All real work lives in the library crate.

mod cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main());
}
