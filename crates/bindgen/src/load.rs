//! Reading WIT: the main package (a file, or a directory with an optional `deps` folder) and
//! extra dependency paths, resolved together by `wit-parser`, with errors rendered as file,
//! line and column.

use std::path::{Path, PathBuf};

use wit_parser::{PackageId, Resolve, SourceMap, UnresolvedPackageGroup};

use crate::Error;

/// What was read: the resolved packages, the main package, and every file read.
pub struct Loaded {
    pub resolve: Resolve,
    pub main: PackageId,
    pub files: Vec<PathBuf>,
}

/// Reads the main package at `path` and the packages at `deps` (each a `.wit` file holding
/// one package, or a directory whose `.wit` files are each one package).
pub fn load(
    path: &Path,
    deps: &[PathBuf],
    features: &[String],
    all_features: bool,
) -> Result<Loaded, Error> {
    let mut files = Vec::new();
    let mut dep_groups = Vec::new();
    let main = if path.is_dir() {
        let mut map = SourceMap::new();
        let main_files = wit_files(path)?;
        if main_files.is_empty() {
            return Err(Error::new(format!(
                "no `.wit` files in `{}`",
                path.display()
            )));
        }
        for f in &main_files {
            map.push_file(f).map_err(|e| Error::new(format!("{e:#}")))?;
        }
        files.extend(main_files);
        let deps_dir = path.join("deps");
        if deps_dir.is_dir() {
            let mut entries: Vec<PathBuf> = read_dir(&deps_dir)?;
            entries.sort();
            for entry in entries {
                if entry.is_dir() {
                    let mut map = SourceMap::new();
                    for f in wit_files(&entry)? {
                        map.push_file(&f)
                            .map_err(|e| Error::new(format!("{e:#}")))?;
                        files.push(f);
                    }
                    dep_groups.push(parse(map)?);
                } else if entry.extension().is_some_and(|e| e == "wit") {
                    dep_groups.push(parse_file(&entry)?);
                    files.push(entry);
                }
            }
        }
        parse(map)?
    } else {
        let group = parse_file(path)?;
        files.push(path.to_path_buf());
        group
    };
    for dep in deps {
        let list = if dep.is_dir() {
            wit_files(dep)?
        } else {
            vec![dep.clone()]
        };
        for f in list {
            dep_groups.push(parse_file(&f)?);
            files.push(f);
        }
    }
    let mut resolve = Resolve {
        all_features,
        ..Resolve::default()
    };
    for f in features {
        resolve.features.insert(f.clone());
    }
    let main = resolve
        .push_groups(main, dep_groups)
        .map_err(|e| Error::new(resolve.render_error(&anyhow::Error::from(e))))?;
    Ok(Loaded {
        resolve,
        main,
        files,
    })
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::new(format!("cannot read `{}`: {e}", dir.display())))?;
    let mut out = Vec::new();
    for entry in entries {
        out.push(
            entry
                .map_err(|e| Error::new(format!("cannot read `{}`: {e}", dir.display())))?
                .path(),
        );
    }
    Ok(out)
}

/// The `.wit` files directly in `dir`, sorted by name.
fn wit_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files: Vec<PathBuf> = read_dir(dir)?
        .into_iter()
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "wit"))
        .collect();
    files.sort();
    Ok(files)
}

fn parse_file(path: &Path) -> Result<UnresolvedPackageGroup, Error> {
    let mut map = SourceMap::new();
    map.push_file(path)
        .map_err(|e| Error::new(format!("cannot read `{}`: {e:#}", path.display())))?;
    parse(map)
}

fn parse(map: SourceMap) -> Result<UnresolvedPackageGroup, Error> {
    map.parse().map_err(|(map, e)| Error::new(e.render(&map)))
}
