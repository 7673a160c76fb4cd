//! `wasi:filesystem`: descriptors of files and directories below the preopens.
//!
//! Every path a guest gives is resolved by `cap-std` relative to a directory the guest holds:
//! `..` that climbs out, an absolute path, and a symbolic link leading out are refused (the
//! guest sees `not-permitted` or `access`), never followed.

use std::collections::VecDeque;
use std::fs::{File, FileTimes};
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, SystemTimeSpec,
};
use cap_std::fs::{Dir, FileType, FileTypeExt, Metadata, MetadataExt, OpenOptions};
use tether::{Borrow, HandleError, StoreContextMut};

use crate::WasiView;
use crate::bindings::wasi::clocks::wall_clock::Datetime;
use crate::bindings::wasi::filesystem::preopens;
use crate::bindings::wasi::filesystem::types::{
    self, Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use crate::ctx::DirPerms;
use crate::io::{In, InputStream, IoError, Out, OutputStream};
use crate::stdio::MAX_READ;

/// `wasi:filesystem/types.descriptor`: an open directory or file.
pub struct Descriptor(Desc);

enum Desc {
    Dir {
        dir: Arc<Dir>,
        perms: DirPerms,
    },
    File {
        file: Arc<File>,
        read: bool,
        write: bool,
    },
}

/// `wasi:filesystem/types.directory-entry-stream`: a directory's entries, read when the
/// stream was opened.
pub struct DirectoryEntryStream(VecDeque<Result<DirectoryEntry, ErrorCode>>);

type Fs<T> = Result<Result<T, ErrorCode>>;

/// The WASI error code of an I/O error.
pub(crate) fn error_code(e: &io::Error) -> ErrorCode {
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => ErrorCode::NoEntry,
        K::PermissionDenied => ErrorCode::NotPermitted,
        K::AlreadyExists => ErrorCode::Exist,
        K::WouldBlock => ErrorCode::WouldBlock,
        K::InvalidInput | K::InvalidData => ErrorCode::Invalid,
        K::Interrupted => ErrorCode::Interrupted,
        K::Unsupported => ErrorCode::Unsupported,
        K::NotADirectory => ErrorCode::NotDirectory,
        K::IsADirectory => ErrorCode::IsDirectory,
        K::DirectoryNotEmpty => ErrorCode::NotEmpty,
        K::ReadOnlyFilesystem => ErrorCode::ReadOnly,
        K::StorageFull => ErrorCode::InsufficientSpace,
        K::QuotaExceeded => ErrorCode::Quota,
        K::FileTooLarge => ErrorCode::FileTooLarge,
        K::ResourceBusy => ErrorCode::Busy,
        K::ExecutableFileBusy => ErrorCode::TextFileBusy,
        K::Deadlock => ErrorCode::Deadlock,
        K::CrossesDevices => ErrorCode::CrossDevice,
        K::TooManyLinks => ErrorCode::TooManyLinks,
        K::InvalidFilename => ErrorCode::NameTooLong,
        K::NotSeekable => ErrorCode::InvalidSeek,
        K::BrokenPipe => ErrorCode::Pipe,
        K::OutOfMemory => ErrorCode::InsufficientMemory,
        _ => match e.raw_os_error() {
            // ELOOP, whose kind is not stable in Rust.
            Some(40) => ErrorCode::Loop,
            _ => ErrorCode::Io,
        },
    }
}

fn fs<T>(r: io::Result<T>) -> Result<T, ErrorCode> {
    r.map_err(|e| error_code(&e))
}

impl Descriptor {
    /// A preopened directory.
    /// The directory, for a descriptor of one.
    pub(crate) fn dir_of(&self) -> Option<&Arc<Dir>> {
        match &self.0 {
            Desc::Dir { dir, .. } => Some(dir),
            Desc::File { .. } => None,
        }
    }

    pub(crate) fn dir(dir: Arc<Dir>, perms: DirPerms) -> Descriptor {
        Descriptor(Desc::Dir { dir, perms })
    }

    fn as_dir(&self) -> Result<(&Arc<Dir>, DirPerms), ErrorCode> {
        match &self.0 {
            Desc::Dir { dir, perms } => Ok((dir, *perms)),
            Desc::File { .. } => Err(ErrorCode::NotDirectory),
        }
    }

    /// The directory, for an operation that changes what is in it.
    fn as_dir_mut(&self) -> Result<&Arc<Dir>, ErrorCode> {
        let (dir, perms) = self.as_dir()?;
        if !perms.can_write() {
            return Err(ErrorCode::ReadOnly);
        }
        Ok(dir)
    }

    fn as_file(&self) -> Result<&Arc<File>, ErrorCode> {
        match &self.0 {
            Desc::File { file, .. } => Ok(file),
            Desc::Dir { .. } => Err(ErrorCode::IsDirectory),
        }
    }

    fn readable(&self) -> Result<&Arc<File>, ErrorCode> {
        match &self.0 {
            Desc::File {
                file, read: true, ..
            } => Ok(file),
            Desc::File { .. } => Err(ErrorCode::BadDescriptor),
            Desc::Dir { .. } => Err(ErrorCode::IsDirectory),
        }
    }

    fn writable(&self) -> Result<&Arc<File>, ErrorCode> {
        match &self.0 {
            Desc::File {
                file, write: true, ..
            } => Ok(file),
            Desc::File { .. } => Err(ErrorCode::BadDescriptor),
            Desc::Dir { .. } => Err(ErrorCode::IsDirectory),
        }
    }

    fn metadata(&self) -> io::Result<Metadata> {
        match &self.0 {
            Desc::Dir { dir, .. } => dir.dir_metadata(),
            Desc::File { file, .. } => file.metadata().map(Metadata::from_just_metadata),
        }
    }
}

/// The directory of the descriptor `other`, which may be `this` itself (out of the table for
/// the call, so looking it up says [`HandleError::InUse`]).
fn other_dir<D>(
    store: &StoreContextMut<'_, D>,
    this: &Descriptor,
    other: &Borrow<Descriptor>,
) -> Result<Result<Arc<Dir>, ErrorCode>> {
    let d = match store.get(other) {
        Ok(d) => d,
        Err(e) if matches!(e.downcast_ref(), Some(HandleError::InUse { .. })) => this,
        Err(e) => return Err(e),
    };
    Ok(d.as_dir_mut().cloned())
}

fn descriptor_type(m: &Metadata) -> DescriptorType {
    type_of(&m.file_type())
}

fn type_of(t: &FileType) -> DescriptorType {
    if t.is_dir() {
        DescriptorType::Directory
    } else if t.is_file() {
        DescriptorType::RegularFile
    } else if t.is_symlink() {
        DescriptorType::SymbolicLink
    } else if t.is_block_device() {
        DescriptorType::BlockDevice
    } else if t.is_char_device() {
        DescriptorType::CharacterDevice
    } else if t.is_fifo() {
        DescriptorType::Fifo
    } else if t.is_socket() {
        DescriptorType::Socket
    } else {
        DescriptorType::Unknown
    }
}

/// The metadata of `path` below `dir`, of the link itself unless `flags` says to follow it.
fn metadata_at(dir: &Dir, flags: PathFlags, path: &str) -> Result<Metadata, ErrorCode> {
    fs(if flags.contains(PathFlags::SYMLINK_FOLLOW) {
        dir.metadata(path)
    } else {
        dir.symlink_metadata(path)
    })
}

fn datetime(t: io::Result<cap_std::time::SystemTime>) -> Option<Datetime> {
    let d = t.ok()?.into_std().duration_since(UNIX_EPOCH).ok()?;
    Some(Datetime {
        seconds: d.as_secs(),
        nanoseconds: d.subsec_nanos(),
    })
}

fn stat(m: &Metadata) -> DescriptorStat {
    DescriptorStat {
        type_: descriptor_type(m),
        link_count: m.nlink(),
        size: m.len(),
        data_access_timestamp: datetime(m.accessed()),
        data_modification_timestamp: datetime(m.modified()),
        status_change_timestamp: Some(Datetime {
            seconds: m.ctime().max(0) as u64,
            nanoseconds: m.ctime_nsec().clamp(0, 999_999_999) as u32,
        }),
    }
}

fn hash(m: &Metadata) -> MetadataHashValue {
    // The device and inode name the object; mixed so that the value is not just the inode.
    let mix = |x: u64| {
        let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    };
    MetadataHashValue {
        lower: mix(m.ino() ^ mix(m.dev())),
        upper: mix(m.dev() ^ mix(m.ino()).rotate_left(17)),
    }
}

fn system_time(t: &NewTimestamp) -> Option<SystemTime> {
    match t {
        NewTimestamp::NoChange => None,
        NewTimestamp::Now => Some(SystemTime::now()),
        NewTimestamp::Timestamp(d) => UNIX_EPOCH.checked_add(
            Duration::from_secs(d.seconds) + Duration::from_nanos(u64::from(d.nanoseconds)),
        ),
    }
}

fn time_spec(t: &NewTimestamp) -> Result<Option<SystemTimeSpec>, ErrorCode> {
    Ok(match t {
        NewTimestamp::NoChange => None,
        NewTimestamp::Now => Some(SystemTimeSpec::SymbolicNow),
        NewTimestamp::Timestamp(_) => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(system_time(t).ok_or(ErrorCode::Overflow)?),
        )),
    })
}

/// Reads a directory's entries now, so that the stream needs no file descriptor of its own.
fn entries(dir: &Dir) -> io::Result<DirectoryEntryStream> {
    let mut out = VecDeque::new();
    for entry in dir.entries()? {
        let item = entry.and_then(|e| Ok((type_of(&e.file_type()?), e.file_name())));
        out.push_back(match item {
            Ok((type_, name)) => match name.into_string() {
                Ok(name) => Ok(DirectoryEntry { type_, name }),
                Err(_) => Err(ErrorCode::IllegalByteSequence),
            },
            Err(e) => Err(error_code(&e)),
        });
    }
    Ok(DirectoryEntryStream(out))
}

impl<T: WasiView> types::Host for T {
    fn descriptor_read_via_stream(
        &mut self,
        this: &mut Descriptor,
        offset: u64,
    ) -> Fs<InputStream> {
        Ok(this.readable().map(|f| {
            InputStream(In::File {
                file: f.clone(),
                position: offset,
            })
        }))
    }

    fn descriptor_write_via_stream(
        &mut self,
        this: &mut Descriptor,
        offset: u64,
    ) -> Fs<OutputStream> {
        Ok(this.writable().map(|f| {
            OutputStream(Out::File {
                file: f.clone(),
                position: Some(offset),
            })
        }))
    }

    fn descriptor_append_via_stream(&mut self, this: &mut Descriptor) -> Fs<OutputStream> {
        Ok(this.writable().map(|f| {
            OutputStream(Out::File {
                file: f.clone(),
                position: None,
            })
        }))
    }

    fn descriptor_advise(
        &mut self,
        this: &mut Descriptor,
        _offset: u64,
        _length: u64,
        _advice: Advice,
    ) -> Fs<()> {
        Ok(this.as_file().map(drop))
    }

    fn descriptor_sync_data(&mut self, this: &mut Descriptor) -> Fs<()> {
        Ok(match &this.0 {
            Desc::File { file, .. } => fs(file.sync_data()),
            Desc::Dir { .. } => Ok(()),
        })
    }

    fn descriptor_get_flags(&mut self, this: &mut Descriptor) -> Fs<DescriptorFlags> {
        let mut flags = DescriptorFlags::empty();
        match &this.0 {
            Desc::Dir { perms, .. } => {
                flags |= DescriptorFlags::READ;
                if perms.can_write() {
                    flags |= DescriptorFlags::MUTATE_DIRECTORY;
                }
            }
            Desc::File { read, write, .. } => {
                flags.set(DescriptorFlags::READ, *read);
                flags.set(DescriptorFlags::WRITE, *write);
            }
        }
        Ok(Ok(flags))
    }

    fn descriptor_get_type(&mut self, this: &mut Descriptor) -> Fs<DescriptorType> {
        Ok(fs(this.metadata()).map(|m| descriptor_type(&m)))
    }

    fn descriptor_set_size(&mut self, this: &mut Descriptor, size: u64) -> Fs<()> {
        Ok(this.writable().and_then(|f| fs(f.set_len(size))))
    }

    fn descriptor_set_times(
        &mut self,
        this: &mut Descriptor,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> Fs<()> {
        Ok(match &this.0 {
            Desc::File { file, .. } => {
                let mut times = FileTimes::new();
                if let Some(t) = system_time(&atime) {
                    times = times.set_accessed(t);
                }
                if let Some(t) = system_time(&mtime) {
                    times = times.set_modified(t);
                }
                fs(file.set_times(times))
            }
            Desc::Dir { dir, perms } => {
                if !perms.can_write() {
                    return Ok(Err(ErrorCode::ReadOnly));
                }
                match (time_spec(&atime), time_spec(&mtime)) {
                    (Ok(a), Ok(m)) => fs(dir.set_times(".", a, m)),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            }
        })
    }

    fn descriptor_read(
        &mut self,
        this: &mut Descriptor,
        length: u64,
        offset: u64,
    ) -> Fs<(Vec<u8>, bool)> {
        let file = match this.readable() {
            Ok(f) => f,
            Err(e) => return Ok(Err(e)),
        };
        let want = length.min(MAX_READ) as usize;
        let mut buf = vec![0; want];
        let mut n = 0;
        while n < want {
            match file.read_at(&mut buf[n..], offset + n as u64) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Ok(Err(error_code(&e))),
            }
        }
        buf.truncate(n);
        let end = n < want || (want == 0 && length > 0);
        Ok(Ok((buf, end)))
    }

    fn descriptor_write(&mut self, this: &mut Descriptor, buffer: Vec<u8>, offset: u64) -> Fs<u64> {
        Ok(this
            .writable()
            .and_then(|f| fs(f.write_all_at(&buffer, offset)).map(|()| buffer.len() as u64)))
    }

    fn descriptor_read_directory(&mut self, this: &mut Descriptor) -> Fs<DirectoryEntryStream> {
        Ok(this.as_dir().and_then(|(dir, _)| fs(entries(dir))))
    }

    fn descriptor_sync(&mut self, this: &mut Descriptor) -> Fs<()> {
        Ok(match &this.0 {
            Desc::File { file, .. } => fs(file.sync_all()),
            Desc::Dir { .. } => Ok(()),
        })
    }

    fn descriptor_create_directory_at(&mut self, this: &mut Descriptor, path: String) -> Fs<()> {
        Ok(this.as_dir_mut().and_then(|d| fs(d.create_dir(&path))))
    }

    fn descriptor_stat(&mut self, this: &mut Descriptor) -> Fs<DescriptorStat> {
        Ok(fs(this.metadata()).map(|m| stat(&m)))
    }

    fn descriptor_stat_at(
        &mut self,
        this: &mut Descriptor,
        path_flags: PathFlags,
        path: String,
    ) -> Fs<DescriptorStat> {
        Ok(this
            .as_dir()
            .and_then(|(d, _)| metadata_at(d, path_flags, &path))
            .map(|m| stat(&m)))
    }

    fn descriptor_set_times_at(
        &mut self,
        this: &mut Descriptor,
        path_flags: PathFlags,
        path: String,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> Fs<()> {
        Ok(this.as_dir_mut().and_then(|d| {
            let (a, m) = (time_spec(&atime)?, time_spec(&mtime)?);
            if path_flags.contains(PathFlags::SYMLINK_FOLLOW) {
                fs(d.set_times(&path, a, m))
            } else {
                fs(d.set_symlink_times(&path, a, m))
            }
        }))
    }

    fn descriptor_link_at(
        store: StoreContextMut<'_, Self>,
        this: &mut Descriptor,
        old_path_flags: PathFlags,
        old_path: String,
        new_descriptor: Borrow<Descriptor>,
        new_path: String,
    ) -> Fs<()> {
        if old_path_flags.contains(PathFlags::SYMLINK_FOLLOW) {
            // Following a symbolic link for `link` is not portable; POSIX hosts differ.
            return Ok(Err(ErrorCode::Invalid));
        }
        let to = match other_dir(&store, this, &new_descriptor)? {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        Ok(this
            .as_dir_mut()
            .and_then(|from| fs(from.hard_link(&old_path, &to, &new_path))))
    }

    fn descriptor_open_at(
        &mut self,
        this: &mut Descriptor,
        path_flags: PathFlags,
        path: String,
        open_flags: OpenFlags,
        flags: DescriptorFlags,
    ) -> Fs<Descriptor> {
        let (dir, perms) = match this.as_dir() {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let changes = flags.intersects(DescriptorFlags::WRITE | DescriptorFlags::MUTATE_DIRECTORY)
            || open_flags.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE);
        if changes && !perms.can_write() {
            return Ok(Err(ErrorCode::ReadOnly));
        }
        let follow = if path_flags.contains(PathFlags::SYMLINK_FOLLOW) {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        };
        if open_flags.contains(OpenFlags::DIRECTORY) {
            if open_flags.intersects(OpenFlags::CREATE | OpenFlags::EXCLUSIVE | OpenFlags::TRUNCATE)
                || flags.contains(DescriptorFlags::WRITE)
            {
                return Ok(Err(ErrorCode::Invalid));
            }
            let opened = match follow {
                FollowSymlinks::Yes => dir.open_dir(&path),
                FollowSymlinks::No => dir.open_dir_nofollow(&path),
            };
            return Ok(fs(opened).map(|d| Descriptor::dir(Arc::new(d), perms)));
        }
        let write = flags.contains(DescriptorFlags::WRITE);
        let read = flags.contains(DescriptorFlags::READ) || !write;
        let mut opts = OpenOptions::new();
        opts.read(read).write(write);
        if open_flags.contains(OpenFlags::CREATE) {
            opts.create(true);
        }
        if open_flags.contains(OpenFlags::EXCLUSIVE) {
            opts.create_new(true);
        }
        if open_flags.contains(OpenFlags::TRUNCATE) {
            opts.truncate(true);
        }
        opts.follow(follow);
        opts.maybe_dir(true);
        let file = match dir.open_with(&path, &opts) {
            Ok(f) => f,
            Err(e) => return Ok(Err(error_code(&e))),
        };
        let file = file.into_std();
        match file.metadata() {
            Ok(m) if m.is_dir() => {
                if write {
                    return Ok(Err(ErrorCode::IsDirectory));
                }
                Ok(Ok(Descriptor::dir(
                    Arc::new(Dir::from_std_file(file)),
                    perms,
                )))
            }
            Ok(_) => Ok(Ok(Descriptor(Desc::File {
                file: Arc::new(file),
                read,
                write,
            }))),
            Err(e) => Ok(Err(error_code(&e))),
        }
    }

    fn descriptor_readlink_at(&mut self, this: &mut Descriptor, path: String) -> Fs<String> {
        Ok(this.as_dir().and_then(|(d, _)| {
            let target = fs(d.read_link_contents(&path))?;
            target
                .into_os_string()
                .into_string()
                .map_err(|_| ErrorCode::IllegalByteSequence)
        }))
    }

    fn descriptor_remove_directory_at(&mut self, this: &mut Descriptor, path: String) -> Fs<()> {
        Ok(this.as_dir_mut().and_then(|d| fs(d.remove_dir(&path))))
    }

    fn descriptor_rename_at(
        store: StoreContextMut<'_, Self>,
        this: &mut Descriptor,
        old_path: String,
        new_descriptor: Borrow<Descriptor>,
        new_path: String,
    ) -> Fs<()> {
        let to = match other_dir(&store, this, &new_descriptor)? {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        Ok(this
            .as_dir_mut()
            .and_then(|from| fs(from.rename(&old_path, &to, &new_path))))
    }

    fn descriptor_symlink_at(
        &mut self,
        this: &mut Descriptor,
        old_path: String,
        new_path: String,
    ) -> Fs<()> {
        Ok(this
            .as_dir_mut()
            .and_then(|d| fs(DirExt::symlink(&**d, &old_path, &new_path))))
    }

    fn descriptor_unlink_file_at(&mut self, this: &mut Descriptor, path: String) -> Fs<()> {
        Ok(this
            .as_dir_mut()
            .and_then(|d| fs(d.remove_file_or_symlink(&path))))
    }

    fn descriptor_is_same_object(
        store: StoreContextMut<'_, Self>,
        this: &mut Descriptor,
        other: Borrow<Descriptor>,
    ) -> Result<bool> {
        let other = match store.get(&other) {
            Ok(o) => o,
            Err(e) if matches!(e.downcast_ref(), Some(HandleError::InUse { .. })) => {
                return Ok(true);
            }
            Err(e) => return Err(e),
        };
        Ok(match (this.metadata(), other.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        })
    }

    fn descriptor_metadata_hash(&mut self, this: &mut Descriptor) -> Fs<MetadataHashValue> {
        Ok(fs(this.metadata()).map(|m| hash(&m)))
    }

    fn descriptor_metadata_hash_at(
        &mut self,
        this: &mut Descriptor,
        path_flags: PathFlags,
        path: String,
    ) -> Fs<MetadataHashValue> {
        Ok(this
            .as_dir()
            .and_then(|(d, _)| metadata_at(d, path_flags, &path))
            .map(|m| hash(&m)))
    }

    fn directory_entry_stream_read_directory_entry(
        &mut self,
        this: &mut DirectoryEntryStream,
    ) -> Fs<Option<DirectoryEntry>> {
        Ok(this.0.pop_front().transpose())
    }

    fn filesystem_error_code(&mut self, err: &mut IoError) -> Result<Option<ErrorCode>> {
        Ok(err.fs)
    }
}

impl<T: WasiView> preopens::Host for T {
    fn get_directories(&mut self) -> Result<Vec<(Descriptor, String)>> {
        Ok(self
            .ctx()
            .preopens
            .iter()
            .map(|p| {
                (
                    Descriptor::dir(p.dir.clone(), p.perms),
                    p.guest_path.clone(),
                )
            })
            .collect())
    }
}
