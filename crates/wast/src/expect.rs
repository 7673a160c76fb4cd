//! The expectations file: which directives are known to fail, and why.
//!
//! Each entry is one line, `path:LINE  reason`, where `path` is the `.wast` file's path
//! relative to the `conformance/` folder.
//! Lines starting with `#` and blank lines are ignored.
//!
//! After a run, [`check`] compares the run with the list, and [`bless`] writes a new list
//! from the run.

use std::collections::{BTreeMap, BTreeSet};

use crate::outcome::{FileReport, Status, shorten};

/// The longest reason [`bless`] writes for a new entry.
pub const MAX_REASON: usize = 160;

/// A directive's address: its file's key and its 1-based line.
pub type Key = (String, usize);

/// Formats a key as it appears in the file and in reports: `path:LINE`.
pub fn show(key: &Key) -> String {
    format!("{}:{}", key.0, key.1)
}

/// A parsed expectations file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// The comment and blank lines before the first entry, kept by [`bless`].
    pub header: Vec<String>,
    /// Each listed directive with its reason.
    pub entries: BTreeMap<Key, String>,
}

/// The header [`bless`] writes when the file has none.
pub const DEFAULT_HEADER: &str = "\
# Directives of the conformance suites that are known to fail.
#
# One entry per line: `path:LINE  reason`, where `path` is the .wast file's path relative to
# the conformance/ folder and LINE is the line its directive starts on.
# Lines starting with `#` and blank lines are ignored.
# `tether-wast` fails when a directive fails that is not listed here, or when a listed one
# passes; `tether-wast --bless` rewrites this list from the current results.
";

/// Parses an expectations file.
pub fn parse(text: &str) -> Result<Expectations, String> {
    let mut exp = Expectations::default();
    let mut in_header = true;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            if in_header {
                exp.header.push(raw.trim_end().to_string());
            }
            continue;
        }
        in_header = false;
        let (addr, reason) = match line.find(char::is_whitespace) {
            Some(at) => (&line[..at], line[at..].trim()),
            None => (line, ""),
        };
        let key = parse_key(addr).ok_or_else(|| {
            format!(
                "line {}: expected `path:LINE  reason`, found `{line}`",
                i + 1
            )
        })?;
        if exp
            .entries
            .insert(key.clone(), reason.to_string())
            .is_some()
        {
            return Err(format!("line {}: `{}` is listed twice", i + 1, show(&key)));
        }
    }
    // Blank lines between the header and the first entry are not part of the header.
    while exp.header.last().is_some_and(|l| l.is_empty()) {
        exp.header.pop();
    }
    Ok(exp)
}

fn parse_key(addr: &str) -> Option<Key> {
    let (path, line) = addr.rsplit_once(':')?;
    let line = line.parse().ok()?;
    if path.is_empty() {
        return None;
    }
    Some((path.to_string(), line))
}

/// What a run produced, in the terms the expectations file speaks.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    /// The keys of the files that were parsed, so that every directive in them is known.
    pub files: BTreeSet<String>,
    /// Every directive that ran, by address.
    pub directives: BTreeSet<Key>,
    /// The directives that failed, with the first failure's message.
    pub failures: BTreeMap<Key, String>,
    /// The directives that were skipped (and did not fail).
    pub skipped: BTreeSet<Key>,
}

impl RunSummary {
    /// Collects the results of a run.
    pub fn new(reports: &[FileReport]) -> RunSummary {
        let mut run = RunSummary::default();
        for report in reports {
            if report.parsed {
                run.files.insert(report.key.clone());
            }
            for o in &report.outcomes {
                let key = (report.key.clone(), o.line);
                run.directives.insert(key.clone());
                match &o.status {
                    Status::Pass => {}
                    Status::Fail(reason) => {
                        run.failures
                            .entry(key)
                            .or_insert_with(|| format!("{}: {reason}", o.kind));
                    }
                    Status::Skip(_) => {
                        run.skipped.insert(key);
                    }
                }
            }
        }
        run.skipped.retain(|k| !run.failures.contains_key(k));
        run
    }
}

/// How a run compares with the expectations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Failures that are not listed, with their messages.
    pub unexpected: Vec<(Key, String)>,
    /// Listed directives that passed.
    pub now_pass: Vec<Key>,
    /// Listed directives that were skipped.
    pub now_skipped: Vec<Key>,
    /// Listed entries of files that ran, at lines where no directive starts.
    pub stale: Vec<Key>,
}

impl Verdict {
    /// Whether the run agrees with the list.
    pub fn ok(&self) -> bool {
        self.unexpected.is_empty()
            && self.now_pass.is_empty()
            && self.now_skipped.is_empty()
            && self.stale.is_empty()
    }

    /// The report of disagreements, one section per kind; empty when [`Verdict::ok`].
    pub fn render(&self) -> String {
        let mut out = String::new();
        if !self.unexpected.is_empty() {
            out.push_str("unexpected failures:\n");
            for (key, reason) in &self.unexpected {
                out.push_str(&format!("    {}  {}\n", show(key), shorten(reason, 300)));
            }
        }
        let mut section = |title: &str, keys: &[Key]| {
            if !keys.is_empty() {
                out.push_str(title);
                out.push('\n');
                for key in keys {
                    out.push_str(&format!("    {}\n", show(key)));
                }
            }
        };
        section(
            "listed as failing but now pass (remove them from the list):",
            &self.now_pass,
        );
        section(
            "listed as failing but now skipped (remove them from the list):",
            &self.now_skipped,
        );
        section(
            "listed entries that name no directive (fix or remove them):",
            &self.stale,
        );
        out
    }
}

/// Compares a run with the expectations.
///
/// Entries of files that did not run are ignored, so that running part of the suites
/// checks only that part.
pub fn check(exp: &Expectations, run: &RunSummary) -> Verdict {
    let mut v = Verdict::default();
    for (key, reason) in &run.failures {
        if !exp.entries.contains_key(key) {
            v.unexpected.push((key.clone(), reason.clone()));
        }
    }
    for key in exp.entries.keys() {
        if !run.files.contains(&key.0) || run.failures.contains_key(key) {
            continue;
        }
        if !run.directives.contains(key) {
            v.stale.push(key.clone());
        } else if run.skipped.contains(key) {
            v.now_skipped.push(key.clone());
        } else {
            v.now_pass.push(key.clone());
        }
    }
    v
}

/// The new expectations file: the current failures, keeping the listed reason of each one
/// that was already listed, and the entries of files that did not run.
pub fn bless(exp: &Expectations, run: &RunSummary) -> String {
    let mut entries: BTreeMap<Key, String> = BTreeMap::new();
    for (key, reason) in &exp.entries {
        // Entries of files that were not parsed (not run, or stopped by a parse error) are
        // unknown rather than stale, so they are kept.
        if !run.files.contains(&key.0) {
            entries.insert(key.clone(), reason.clone());
        }
    }
    for (key, message) in &run.failures {
        let reason = match exp.entries.get(key) {
            Some(listed) if !listed.is_empty() => listed.clone(),
            _ => shorten(message, MAX_REASON),
        };
        entries.insert(key.clone(), reason);
    }

    let mut out = String::new();
    if exp.header.is_empty() {
        out.push_str(DEFAULT_HEADER);
    } else {
        for line in &exp.header {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !entries.is_empty() {
        out.push('\n');
    }
    let width = entries.keys().map(|k| show(k).len()).max().unwrap_or(0);
    for (key, reason) in &entries {
        let addr = show(key);
        if reason.is_empty() {
            out.push_str(&format!("{addr}\n"));
        } else {
            out.push_str(&format!("{addr:width$}  {reason}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    fn key(path: &str, line: usize) -> Key {
        (path.to_string(), line)
    }

    fn report(path: &str, outcomes: &[(usize, Status)]) -> FileReport {
        FileReport {
            key: path.to_string(),
            parsed: true,
            outcomes: outcomes
                .iter()
                .map(|(line, status)| Outcome {
                    line: *line,
                    kind: "assert_return",
                    status: status.clone(),
                })
                .collect(),
        }
    }

    const LIST: &str = "\
# known failures
#   format: path:LINE  reason

a/x.wast:10  resources not implemented yet
a/x.wast:20\tbad  spacing   kept
# a comment in between
b/y.wast:5
";

    #[test]
    fn parses_entries_comments_and_header() {
        let exp = parse(LIST).unwrap();
        assert_eq!(
            exp.header,
            vec!["# known failures", "#   format: path:LINE  reason"]
        );
        let entries: Vec<_> = exp
            .entries
            .iter()
            .map(|(k, r)| (show(k), r.as_str()))
            .collect();
        assert_eq!(
            entries,
            vec![
                ("a/x.wast:10".to_string(), "resources not implemented yet"),
                ("a/x.wast:20".to_string(), "bad  spacing   kept"),
                ("b/y.wast:5".to_string(), ""),
            ]
        );
    }

    #[test]
    fn rejects_malformed_and_duplicate_entries() {
        assert!(parse("a/x.wast  no line").unwrap_err().contains("line 1"));
        assert!(parse("a/x.wast:ten  reason").is_err());
        assert!(parse(":3 reason").is_err());
        assert!(
            parse("a.wast:1 x\na.wast:1 y")
                .unwrap_err()
                .contains("twice")
        );
        assert_eq!(parse("").unwrap(), Expectations::default());
    }

    #[test]
    fn listed_failures_are_expected() {
        let exp = parse(LIST).unwrap();
        let run = RunSummary::new(&[report(
            "a/x.wast",
            &[
                (10, Status::Fail("boom".into())),
                (20, Status::Fail("bang".into())),
                (30, Status::Pass),
            ],
        )]);
        let v = check(&exp, &run);
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.render(), "");
    }

    #[test]
    fn unlisted_failure_is_an_error() {
        let exp = parse(LIST).unwrap();
        let run = RunSummary::new(&[report(
            "a/x.wast",
            &[
                (10, Status::Fail("boom".into())),
                (20, Status::Fail("x".into())),
                (30, Status::Fail("new".into())),
            ],
        )]);
        let v = check(&exp, &run);
        assert!(!v.ok());
        assert_eq!(
            v.unexpected,
            vec![(key("a/x.wast", 30), "assert_return: new".to_string())]
        );
        assert!(
            v.render()
                .starts_with("unexpected failures:\n    a/x.wast:30  assert_return: new\n")
        );
    }

    #[test]
    fn newly_passing_entry_is_an_error() {
        let exp = parse(LIST).unwrap();
        let run = RunSummary::new(&[report(
            "a/x.wast",
            &[
                (10, Status::Pass),
                (20, Status::Skip("unsupported: async".into())),
            ],
        )]);
        let v = check(&exp, &run);
        assert!(!v.ok());
        assert_eq!(v.now_pass, vec![key("a/x.wast", 10)]);
        assert_eq!(v.now_skipped, vec![key("a/x.wast", 20)]);
        assert!(v.unexpected.is_empty());
        let text = v.render();
        assert!(text.contains(
            "listed as failing but now pass (remove them from the list):\n    a/x.wast:10\n"
        ));
    }

    #[test]
    fn entry_at_a_line_without_directive_is_stale() {
        let exp = parse("a/x.wast:10 r\na/x.wast:11 r\n").unwrap();
        let run = RunSummary::new(&[report("a/x.wast", &[(10, Status::Fail("f".into()))])]);
        let v = check(&exp, &run);
        assert_eq!(v.stale, vec![key("a/x.wast", 11)]);
        assert!(!v.ok());
    }

    #[test]
    fn entries_of_files_that_did_not_run_are_ignored() {
        let exp = parse(LIST).unwrap();
        let run = RunSummary::new(&[report("c/z.wast", &[(1, Status::Pass)])]);
        assert!(check(&exp, &run).ok());
    }

    #[test]
    fn unparsed_file_does_not_make_its_entries_stale() {
        let exp = parse("a/x.wast:10 r\n").unwrap();
        let mut r = report("a/x.wast", &[(3, Status::Fail("parse error".into()))]);
        r.parsed = false;
        let v = check(&exp, &RunSummary::new(&[r]));
        assert!(v.stale.is_empty() && v.now_pass.is_empty());
        assert_eq!(v.unexpected.len(), 1);
    }

    #[test]
    fn several_directives_on_one_line_fail_together() {
        let exp = parse("a/x.wast:10 r\n").unwrap();
        let run = RunSummary::new(&[report(
            "a/x.wast",
            &[(10, Status::Pass), (10, Status::Fail("f".into()))],
        )]);
        assert!(check(&exp, &run).ok());
    }

    #[test]
    fn bless_keeps_reasons_adds_new_failures_and_drops_passes() {
        let exp = parse(LIST).unwrap();
        let long = format!("first line\nsecond {}", "x".repeat(300));
        let run = RunSummary::new(&[report(
            "a/x.wast",
            &[
                (10, Status::Fail("other message".into())),
                (20, Status::Pass),
                (40, Status::Fail(long)),
            ],
        )]);
        let text = bless(&exp, &run);
        let expected_start = "# known failures\n#   format: path:LINE  reason\n\n";
        assert!(text.starts_with(expected_start), "{text}");
        let body: Vec<&str> = text[expected_start.len()..].lines().collect();
        assert_eq!(body.len(), 3, "{text}");
        assert_eq!(body[0], "a/x.wast:10  resources not implemented yet");
        assert!(body[1].starts_with("a/x.wast:40  assert_return: first line second xxx"));
        assert!(body[1].ends_with("..."));
        assert_eq!(body[1].len() - "a/x.wast:40  ".len(), MAX_REASON);
        // `b/y.wast` did not run, so its entry stays.
        assert_eq!(body[2], "b/y.wast:5");

        // The blessed file parses back and agrees with the run.
        let again = parse(&text).unwrap();
        assert!(check(&again, &run).ok());
        assert_eq!(bless(&again, &run), text);
    }

    #[test]
    fn bless_writes_a_default_header_to_an_empty_file() {
        let run = RunSummary::new(&[report("a/x.wast", &[(1, Status::Pass)])]);
        assert_eq!(bless(&Expectations::default(), &run), DEFAULT_HEADER);
        let run = RunSummary::new(&[report("a/x.wast", &[(1, Status::Fail("no".into()))])]);
        let text = bless(&Expectations::default(), &run);
        assert_eq!(
            text,
            format!("{DEFAULT_HEADER}\na/x.wast:1  assert_return: no\n")
        );
    }
}
