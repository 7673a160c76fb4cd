//! The `;;!` header lines of a `.wast` file, which name the features it needs.
//!
//! A header reads `;;! name = true` or `;;! name = false`.
//! Headers only configure the engine; they never cause a file to be skipped.

/// Reads every `;;!` line of `text`, in order, as `(feature name, enabled)`.
///
/// A header that is not of the form `name = true|false` is an error, which the runner
/// reports against every directive of the file.
pub fn parse(text: &str) -> Result<Vec<(String, bool)>, String> {
    let mut features = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix(";;!") else {
            continue;
        };
        let rest = rest.trim();
        if rest.is_empty() {
            continue;
        }
        let Some((name, value)) = rest.split_once('=') else {
            return Err(format!(
                "line {}: header `{rest}` is not of the form `name = value`",
                i + 1
            ));
        };
        let name = name.trim();
        let enabled = match value.trim() {
            "true" => true,
            "false" => false,
            other => {
                return Err(format!(
                    "line {}: header `{name}` has value `{other}`, expected `true` or `false`",
                    i + 1
                ));
            }
        };
        features.push((name.to_string(), enabled));
    }
    Ok(features)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_in_order() {
        let text =
            ";;! multi_memory = true\n;;!gc=false\n\n(component)\n  ;;! hogs_memory = true\n";
        let got = parse(text).unwrap();
        assert_eq!(
            got,
            vec![
                ("multi_memory".to_string(), true),
                ("gc".to_string(), false),
                ("hogs_memory".to_string(), true),
            ]
        );
    }

    #[test]
    fn ignores_ordinary_comments() {
        assert_eq!(
            parse(";; multi_memory = true\n(component)").unwrap(),
            vec![]
        );
    }

    #[test]
    fn rejects_values_other_than_booleans() {
        let err = parse(";;! gc = 3").unwrap_err();
        assert!(err.contains("`gc`"), "{err}");
        assert!(parse(";;! gc").is_err());
    }
}
