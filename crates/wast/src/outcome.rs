//! What running a directive produced, and the per-file and whole-run tallies.

/// How one directive ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The directive did what the suite expects.
    Pass,
    /// It did not; the string says how.
    Fail(String),
    /// Tether reported an out-of-scope construct (an `unsupported:` error), or the directive
    /// depends on something that was skipped; the string says which.
    Skip(String),
}

/// One directive's result.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The 1-based line the directive starts on.
    pub line: usize,
    /// What kind of directive it was (`assert_return`, `component`, ...).
    pub kind: &'static str,
    /// How it ended.
    pub status: Status,
}

/// The results of one `.wast` file.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// The file's key: its path relative to the `conformance/` folder, with `/` separators,
    /// or the path as given when it is not under such a folder.
    pub key: String,
    /// Whether the file was parsed, so that `outcomes` lists every directive in it.
    /// When it was not, the only outcome is the failure that stopped it.
    pub parsed: bool,
    /// One entry per directive, in file order.
    pub outcomes: Vec<Outcome>,
}

/// Passed, failed and skipped counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    /// Counts the outcomes of one file.
    pub fn of(outcomes: &[Outcome]) -> Tally {
        let mut t = Tally::default();
        for o in outcomes {
            match o.status {
                Status::Pass => t.passed += 1,
                Status::Fail(_) => t.failed += 1,
                Status::Skip(_) => t.skipped += 1,
            }
        }
        t
    }

    /// Adds another tally to this one.
    pub fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// Squeezes a message onto one line: runs of whitespace (newlines included) become one
/// space.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`one_line`], then cut to at most `max` characters, ending in `...` when cut.
pub fn shorten(message: &str, max: usize) -> String {
    let line = one_line(message);
    if line.chars().count() <= max {
        return line;
    }
    let keep = max.saturating_sub(3);
    let mut out: String = line.chars().take(keep).collect();
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_messages() {
        assert_eq!(shorten("a\n  b", 160), "a b");
    }

    #[test]
    fn shorten_cuts_long_messages_to_the_limit() {
        let long = "é".repeat(200);
        let s = shorten(&long, 160);
        assert_eq!(s.chars().count(), 160);
        assert!(s.ends_with("..."));
    }

    #[test]
    fn tally_counts_each_status() {
        let o = |status| Outcome {
            line: 1,
            kind: "invoke",
            status,
        };
        let t = Tally::of(&[
            o(Status::Pass),
            o(Status::Fail("x".into())),
            o(Status::Skip("y".into())),
            o(Status::Pass),
        ]);
        assert_eq!(
            t,
            Tally {
                passed: 2,
                failed: 1,
                skipped: 1
            }
        );
        assert_eq!(t.to_string(), "2 passed, 1 failed, 1 skipped");
    }
}
