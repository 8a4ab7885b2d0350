//! The `demarche` command: parses the command line and hands each command to
//! the library. All real work lives in the library crate.

mod allocator;
mod cli;

#[global_allocator]
static ALLOCATOR: allocator::Allocator = allocator::Allocator;

fn main() {
    let code = cli::main();
    end(code)
}

/// End the process once the command is done: what it wrote is flushed or
/// synced, and its output is written. `exit` would first run the
/// allocator's exit handler, which hands every page it holds back to the
/// kernel, range by range (about 1,600 `madvise` calls after an import of a
/// million events, a tenth of a second), only for the kernel to free them
/// all again as the process ends. Flush the standard streams and end at once.
fn end(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    #[cfg(unix)]
    // SAFETY: `_exit` ends the process and does not return. Nothing left in
    // it matters to the command's results: the database is synced or closed
    // by the command itself, and the streams were flushed above.
    unsafe {
        libc::_exit(code)
    }
    #[cfg(not(unix))]
    std::process::exit(code)
}
