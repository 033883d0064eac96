//! What a command shows while it works: a migration run (a progress bar on a terminal,
//! plain lines otherwise), and the toolkit's warnings.

use std::io::IsTerminal;
use std::sync::Mutex;

use dynaschema::migrate::MigrateEvent;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Shows a migration run: a progress bar on a terminal, plain lines otherwise.
pub(crate) struct Report {
    terminal: bool,
    /// The running migration's bar, on a terminal.
    bar: Mutex<Option<ProgressBar>>,
    /// The last tenth of the work reported in plain lines, per migration.
    last_tenth: Mutex<Option<(u32, u64)>>,
}

impl Report {
    pub(crate) fn new() -> Report {
        Report {
            terminal: std::io::stdout().is_terminal(),
            bar: Mutex::new(None),
            last_tenth: Mutex::new(None),
        }
    }

    pub(crate) fn event(&self, event: &MigrateEvent) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            MigrateEvent::Progress {
                id, done, total, ..
            } if self.terminal => {
                let bar = bar.get_or_insert_with(|| new_bar(*id));
                if let Some(total) = total {
                    bar.set_length(*total);
                }
                bar.set_position(*done);
            }
            MigrateEvent::Progress {
                id, done, total, ..
            } => {
                // A line per tenth of the work, not one per item.
                let tenth = total.map_or(done / 1000, |total| done * 10 / total.max(1));
                let mut last = self.last_tenth.lock().unwrap_or_else(|e| e.into_inner());
                if *last != Some((*id, tenth)) {
                    *last = Some((*id, tenth));
                    println!("{event}");
                }
            }
            _ => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
                println!("{event}");
            }
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

fn new_bar(id: u32) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta} left)")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(format!("migration {id}"));
    bar
}

/// Shows the toolkit's warnings on stderr, one line each (such as bulk work waiting out
/// throttling: what was refused, how long it has waited, when it gives up). Call it once,
/// first thing in `main`; a program that installs its own `tracing` subscriber first
/// keeps it.
///
/// ```
/// dynaschema_cli::report::show_warnings();
/// ```
pub fn show_warnings() {
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
