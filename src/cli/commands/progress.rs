//! Progress for long work (sealing thousands of values): objects done / total on standard
//! error, only when it is a terminal; callers decide whether the work is long enough and
//! whether `--quiet` was given.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar of `total` objects on standard error, or `None` when standard error is
/// not a terminal (a pipe, a file, CI logs): nothing is drawn there.
pub fn bar(total: u64, what: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} {pos}/{len} objects [{bar:30}] {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    Some(bar)
}
