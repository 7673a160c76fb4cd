//! `wasi-fs`: random sequences of `wasi:filesystem` calls inside a fresh preopened directory,
//! beside a canary tree outside it, to hold `tether-wasi` to its promise that a guest reaches
//! only what it was given.
//!
//! The calls go straight to `tether-wasi`'s implementation of `wasi:filesystem/types` (the
//! `Host` traits the guest's imports call), with the descriptors kept in a store as host
//! objects as for a guest; skipping the guest costs nothing in what the sandbox sees, since
//! every path and flag arrives as it would from one, and lets an input run in about a
//! millisecond. The sequence opens, creates, reads, writes, lists, stats, links, renames,
//! truncates, removes and makes symbolic links, with paths built from `..`, `.`, absolute
//! paths, the names in the tree, and links the sequence itself made; the tree starts with a
//! link pointing out of the preopen and one absolute link.
//!
//! Checks: nothing panics; nothing under the canary tree (nor the folder holding both trees)
//! is opened, read, written, listed or changed, watched with inotify and compared (names,
//! contents, sizes, modification times) before and after; no read returns the canary's
//! secret.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use arbitrary::{Result, Unstructured};
use inotify::{Inotify, WatchMask};
use tether::{AsContextMut, Own, Store};
use tether_wasi::bindings::wasi::filesystem::preopens::Host as _;
use tether_wasi::bindings::wasi::filesystem::types::{
    DescriptorFlags, Host as _, NewTimestamp, OpenFlags, PathFlags,
};
use tether_wasi::{Descriptor, DirPerms, WasiCtx, WasiCtxBuilder};

use crate::common;

/// What the canary's files hold: a read that returns it has escaped.
const SECRET: &[u8] = b"CANARY-SECRET-d3adb33f";

/// This process's folder: `sandbox/` (the preopen) and `canary/` beside it.
fn base() -> &'static PathBuf {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        std::env::temp_dir().join(format!("tether-fuzz-wasi-{}", std::process::id()))
    })
}

fn setup_err(what: &str, e: impl std::fmt::Display) -> ! {
    panic!("fuzz setup: {what}: {e}")
}

/// Makes both trees afresh.
fn make_trees(base: &Path) {
    let _ = std::fs::remove_dir_all(base);
    let sandbox = base.join("sandbox");
    let canary = base.join("canary");
    for d in [sandbox.join("sub"), canary.join("dir")] {
        std::fs::create_dir_all(&d).unwrap_or_else(|e| setup_err("a folder", e));
    }
    let files = [
        (sandbox.join("a.txt"), b"hello".as_slice()),
        (sandbox.join("sub/b.txt"), b"inside".as_slice()),
        (canary.join("secret.txt"), SECRET),
        (canary.join("dir/deep.txt"), SECRET),
    ];
    for (path, data) in files {
        std::fs::write(&path, data).unwrap_or_else(|e| setup_err("a file", e));
    }
    let links = [
        (PathBuf::from("../canary"), sandbox.join("out")),
        (canary.join("secret.txt"), sandbox.join("abs")),
        (PathBuf::from("../../canary/dir"), sandbox.join("sub/up")),
    ];
    for (target, link) in links {
        std::os::unix::fs::symlink(&target, &link).unwrap_or_else(|e| setup_err("a link", e));
    }
}

/// Names, contents, sizes and modification times of everything under `dir`.
fn snapshot(dir: &Path, out: &mut BTreeMap<PathBuf, (Vec<u8>, u64, Option<SystemTime>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let contents = if meta.is_file() {
            std::fs::read(&path).unwrap_or_default()
        } else {
            Vec::new()
        };
        out.insert(path.clone(), (contents, meta.len(), meta.modified().ok()));
        if meta.is_dir() {
            snapshot(&path, out);
        }
    }
}

/// The path pieces a sequence builds paths from.
const PIECES: &[&str] = &[
    "a.txt",
    "sub",
    "b.txt",
    "out",
    "abs",
    "up",
    "new",
    "x",
    "..",
    ".",
    "",
    "canary",
    "secret.txt",
    "dir",
    "deep.txt",
    "sandbox",
];

fn path(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 16)? {
        return Ok((*u.choose(&[
            "/",
            "/tmp",
            "../canary/secret.txt",
            "sub/../../canary",
            "out/secret.txt",
            "sub/up/deep.txt",
            "abs",
        ])?)
        .to_string());
    }
    let n = u.int_in_range(1..=3)?;
    let mut parts = Vec::new();
    for _ in 0..n {
        parts.push(*u.choose(PIECES)?);
    }
    let mut p = parts.join("/");
    if u.ratio(1, 12)? {
        p.insert(0, '/');
    }
    Ok(p)
}

/// One sequence's state: the store holding the descriptors, and the descriptors.
struct Fs {
    store: Store<WasiCtx>,
    descs: Vec<Own<Descriptor>>,
}

impl Fs {
    /// Calls `f` with descriptor `k` and the store's context; a descriptor that is gone is
    /// skipped.
    fn with<X>(
        &mut self,
        k: usize,
        f: impl FnOnce(&mut Descriptor, &mut WasiCtx) -> anyhow::Result<X>,
    ) -> Option<X> {
        let own = self.descs.get(k)?;
        let mut cx = self.store.as_context_mut();
        cx.lend(own, |d: &mut Descriptor, mut cx| f(d, cx.data_mut()))
            .ok()
    }

    fn check_read(data: &[u8], what: &str) {
        if data.windows(SECRET.len()).any(|w| w == SECRET) {
            panic!("fuzz finding: wasi-fs: {what} returned the canary's secret");
        }
    }

    fn step(&mut self, u: &mut Unstructured<'_>, log: &mut Vec<String>) -> Result<()> {
        let k = u.choose_index(self.descs.len())?;
        let op = u.int_in_range(0..=14)?;
        let p = path(u)?;
        let follow = if u.arbitrary()? {
            PathFlags::SYMLINK_FOLLOW
        } else {
            PathFlags::empty()
        };
        log.push(format!("descriptor {k}: op {op} on {p:?} ({follow:?})"));
        match op {
            0..=2 => {
                let mut open = OpenFlags::empty();
                for (bit, flag) in [
                    OpenFlags::CREATE,
                    OpenFlags::DIRECTORY,
                    OpenFlags::EXCLUSIVE,
                    OpenFlags::TRUNCATE,
                ]
                .into_iter()
                .enumerate()
                {
                    if u.ratio(1, 3 + bit as u32)? {
                        open |= flag;
                    }
                }
                let mut flags = DescriptorFlags::READ;
                if u.arbitrary()? {
                    flags |= DescriptorFlags::WRITE;
                }
                if u.arbitrary()? {
                    flags |= DescriptorFlags::MUTATE_DIRECTORY;
                }
                let opened = self.with(k, |d, cx| cx.descriptor_open_at(d, follow, p, open, flags));
                if let Some(Ok(desc)) = opened {
                    match self.store.push(desc) {
                        Ok(own) => self.descs.push(own),
                        Err(e) => panic!("fuzz finding: wasi-fs: pushing a descriptor: {e:#}"),
                    }
                }
            }
            3 => {
                let len = u.int_in_range(0..=64)?;
                let offset = u.int_in_range(0..=16)?;
                if let Some(Ok((data, _))) =
                    self.with(k, |d, cx| cx.descriptor_read(d, len, offset))
                {
                    Self::check_read(&data, "a read");
                }
            }
            4 => {
                let n = u.int_in_range(0..=16)?.min(u.len());
                let data = u.bytes(n)?.to_vec();
                let offset = u.int_in_range(0..=16)?;
                self.with(k, |d, cx| cx.descriptor_write(d, data, offset));
            }
            5 => {
                if let Some(Ok(mut entries)) = self.with(k, |d, cx| cx.descriptor_read_directory(d))
                {
                    let ctx = self.store.data_mut();
                    // Listing the canary's folders would show in inotify's events: the
                    // names a listing returns can be ones the sequence made itself.
                    while let Ok(Ok(Some(_))) =
                        ctx.directory_entry_stream_read_directory_entry(&mut entries)
                    {
                    }
                }
            }
            6 => {
                self.with(k, |d, cx| cx.descriptor_create_directory_at(d, p));
            }
            7 => {
                self.with(k, |d, cx| cx.descriptor_remove_directory_at(d, p));
            }
            8 => {
                self.with(k, |d, cx| cx.descriptor_unlink_file_at(d, p));
            }
            9 => {
                let target = path(u)?;
                self.with(k, |d, cx| cx.descriptor_symlink_at(d, target, p));
            }
            10 => {
                let q = p.clone();
                self.with(k, |d, cx| cx.descriptor_readlink_at(d, q));
                self.with(k, |d, cx| cx.descriptor_stat_at(d, follow, p));
            }
            11 => {
                let t = NewTimestamp::Now;
                self.with(k, |d, cx| {
                    cx.descriptor_set_times_at(d, follow, p, t, NewTimestamp::NoChange)
                });
            }
            12 | 13 => {
                // Rename or hard-link into another (or the same) descriptor's directory.
                let k2 = u.choose_index(self.descs.len())?;
                let to = path(u)?;
                let other = self.descs[k2].borrow();
                let own = &self.descs[k];
                let mut cx = self.store.as_context_mut();
                let _ = cx.lend(own, |d: &mut Descriptor, cx| {
                    if op == 12 {
                        WasiCtx::descriptor_rename_at(cx, d, p, other, to)
                    } else {
                        WasiCtx::descriptor_link_at(cx, d, follow, p, other, to)
                    }
                });
            }
            _ => {
                let size = u.int_in_range(0..=64)?;
                self.with(k, |d, cx| cx.descriptor_set_size(d, size));
            }
        }
        Ok(())
    }
}

/// inotify watches on the canary tree and on the folder holding both trees.
struct Watch(Inotify);

impl Watch {
    fn new(base: &Path) -> Watch {
        let inotify = Inotify::init().unwrap_or_else(|e| setup_err("inotify", e));
        let canary = base.join("canary");
        for dir in [base.to_path_buf(), canary.clone(), canary.join("dir")] {
            inotify
                .watches()
                .add(&dir, WatchMask::ALL_EVENTS)
                .unwrap_or_else(|e| setup_err("an inotify watch", e));
        }
        Watch(inotify)
    }

    /// The events seen outside the preopen since the watch began (events on `sandbox` in
    /// the base folder are the preopen's own).
    fn outside(&mut self) -> Vec<String> {
        let mut buffer = [0u8; 4096];
        let mut outside = Vec::new();
        while let Ok(events) = self.0.read_events(&mut buffer) {
            let before = outside.len();
            let mut any = false;
            for e in events {
                any = true;
                let name = e.name.map(|n| n.to_string_lossy().into_owned());
                if name.as_deref() != Some("sandbox") {
                    outside.push(format!("{:?} {:?}", e.mask, name));
                }
            }
            if !any || outside.len() > before + 64 {
                break;
            }
        }
        outside
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let base = base();
    make_trees(base);
    let canary = base.join("canary");
    let mut before = BTreeMap::new();
    snapshot(&canary, &mut before);
    let perms = if data.first().is_some_and(|b| b & 1 == 1) {
        DirPerms::ReadOnly
    } else {
        DirPerms::ReadWrite
    };
    let ctx = match WasiCtxBuilder::new().preopened_dir(base.join("sandbox"), "/", perms) {
        Ok(b) => b.build(),
        Err(e) => setup_err("the preopen", format!("{e:#}")),
    };
    // Watch the canary tree and the folder holding both trees from here on.
    let mut watch = Watch::new(base);
    let mut store = Store::new(common::engine(), ctx);
    let preopens = match store.data_mut().get_directories() {
        Ok(p) => p,
        Err(e) => setup_err("the preopens", format!("{e:#}")),
    };
    let mut fs = Fs {
        descs: Vec::new(),
        store,
    };
    for (d, _) in preopens {
        match fs.store.push(d) {
            Ok(own) => fs.descs.push(own),
            Err(e) => setup_err("a preopen", format!("{e:#}")),
        }
    }
    let mut u = Unstructured::new(data.get(1..).unwrap_or_default());
    let mut log = Vec::new();
    for _ in 0..32 {
        if u.is_empty() || fs.step(&mut u, &mut log).is_err() {
            break;
        }
    }
    drop(fs);
    let outside = watch.outside();
    let mut after = BTreeMap::new();
    snapshot(&canary, &mut after);
    if !outside.is_empty() || before != after {
        panic!(
            "fuzz finding: wasi-fs: the sequence reached outside the preopen: inotify {outside:?}, \
             canary changed: {}\n{}",
            before != after,
            log.join("\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The watch sees a read of the canary, a listing of its folder and a change to it.
    #[test]
    fn the_watch_sees_the_canary_touched() {
        let base = std::env::temp_dir().join(format!("tether-fuzz-watch-{}", std::process::id()));
        make_trees(&base);
        let canary = base.join("canary");
        let mut watch = Watch::new(&base);
        assert_eq!(watch.outside(), Vec::<String>::new(), "nothing yet");
        std::fs::read(canary.join("secret.txt")).unwrap();
        assert!(!watch.outside().is_empty(), "a read");
        std::fs::read_dir(canary.join("dir"))
            .unwrap()
            .for_each(drop);
        assert!(!watch.outside().is_empty(), "a listing");
        std::fs::read(base.join("sandbox/a.txt")).unwrap();
        assert_eq!(watch.outside(), Vec::<String>::new(), "inside the preopen");
        let _ = std::fs::remove_dir_all(&base);
    }
}
