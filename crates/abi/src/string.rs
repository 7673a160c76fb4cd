//! Strings: decoding on lift, and the spec's transcoding algorithms on lower.
//!
//! Lowering follows `store_string` of the spec step by step, because which `realloc` calls it
//! makes, and in which order, is observable by the guest.
//! The algorithm depends on the encoding the string came from ([`SourceEncoding`]) as well as
//! the encoding of the destination ([`StringEncoding`]).

use crate::layout::MAX_STRING_BYTE_LENGTH;
use crate::lower::Dst;
use crate::{Fault, trap};

/// The `string-encoding` canonical option: how a guest's memory holds strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StringEncoding {
    /// UTF-8 (`string-encoding=utf8`, the default).
    Utf8,
    /// UTF-16, little-endian (`string-encoding=utf16`).
    Utf16,
    /// Latin-1 or UTF-16, chosen per string by the high bit of the length
    /// (`string-encoding=latin1+utf16`).
    Latin1Utf16,
}

/// The encoding the strings being lowered came from.
///
/// Strings from the host are [`SourceEncoding::Utf8`]; strings passed from one component to
/// another came from the caller's memory in the caller's encoding.
/// The source encoding does not change the string, but it chooses the spec's transcoding
/// algorithm and so the sequence of `realloc` calls the destination sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceEncoding {
    /// The strings were UTF-8; their length in code units is their byte length.
    Utf8,
    /// The strings were UTF-16; their length in code units is their UTF-16 length.
    Utf16,
    /// The strings were `latin1+utf16`: Latin-1 when every character is below U+0100 and
    /// `force_utf16` is false, tagged UTF-16 otherwise.
    Latin1Utf16 {
        /// Whether strings that fit in Latin-1 were nevertheless held as UTF-16.
        force_utf16: bool,
    },
}

/// The bit of a `latin1+utf16` length that marks the string as UTF-16.
const UTF16_TAG: u32 = 1 << 31;

/// Where a string's bytes lie in a guest's memory, checked as the spec's
/// `load_string_from_range` checks them (length, alignment, bounds), and whether they are
/// UTF-16: what a caller needs to charge the string before [`decode`] allocates it. The two
/// together are the spec's `load_string_from_range`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    ptr: u32,
    byte_len: usize,
    utf16: bool,
}

impl Span {
    /// The fewest UTF-8 bytes the string can decode to: one per code unit.
    pub(crate) fn least_utf8_len(&self) -> u64 {
        let len = self.byte_len as u64;
        if self.utf16 { len / 2 } else { len }
    }
}

/// Checks the string of `tagged_code_units` code units at `ptr` against a memory of
/// `memory_len` bytes.
pub(crate) fn span(
    memory_len: usize,
    encoding: StringEncoding,
    ptr: u32,
    tagged_code_units: u32,
) -> Result<Span, Fault> {
    let units = u64::from(tagged_code_units);
    let (align, byte_len, utf16) = match encoding {
        StringEncoding::Utf8 => (1, units, false),
        StringEncoding::Utf16 => (2, 2 * units, true),
        StringEncoding::Latin1Utf16 if tagged_code_units & UTF16_TAG != 0 => {
            (2, 2 * u64::from(tagged_code_units ^ UTF16_TAG), true)
        }
        StringEncoding::Latin1Utf16 => (2, units, false),
    };
    if byte_len > u64::from(MAX_STRING_BYTE_LENGTH) {
        return Err(trap::string_too_long(byte_len));
    }
    if !ptr.is_multiple_of(align) {
        return Err(trap::unaligned_string(ptr, align));
    }
    if u64::from(ptr) + byte_len > memory_len as u64 {
        return Err(trap::string_out_of_bounds(ptr, byte_len, memory_len));
    }
    Ok(Span {
        ptr,
        byte_len: byte_len as usize,
        utf16,
    })
}

/// Decodes the string a [`span`] found, in `encoding`, from `mem`.
pub(crate) fn decode(mem: &[u8], encoding: StringEncoding, span: Span) -> Result<String, Fault> {
    let start = span.ptr as usize;
    let Some(bytes) = mem.get(start..).and_then(|m| m.get(..span.byte_len)) else {
        return Err(trap::string_out_of_bounds(
            span.ptr,
            span.byte_len as u64,
            mem.len(),
        ));
    };
    if span.utf16 {
        decode_utf16(bytes)
    } else if encoding == StringEncoding::Utf8 {
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(trap::bad_utf8(e)),
        }
    } else {
        Ok(decode_latin1(bytes))
    }
}

/// Decodes little-endian UTF-16, trapping on an unpaired surrogate.
fn decode_utf16(bytes: &[u8]) -> Result<String, Fault> {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => out.push(c),
            Err(e) => return Err(trap::bad_utf16(e.unpaired_surrogate())),
        }
    }
    Ok(out)
}

/// Decodes Latin-1, where every byte is the character of the same number.
fn decode_latin1(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8 as it is.
        return String::from_utf8(bytes.to_vec()).unwrap_or_default();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The number of UTF-16 code units that encode `s`.
fn utf16_len(s: &str) -> usize {
    // Every character takes one unit, except those of four UTF-8 bytes, which take two.
    s.bytes()
        .map(|b| usize::from(b & 0xc0 != 0x80) + usize::from(b >= 0xf0))
        .sum()
}

/// Whether every character of `s` is below U+0100.
fn is_latin1(s: &str) -> bool {
    s.chars().all(|c| u32::from(c) < 0x100)
}

/// How a source string is held: the spec's simple encoding of the source and its length in
/// that encoding's code units.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Utf8,
    Utf16,
    Latin1,
}

/// Writes `s` into the destination's memory and returns its pointer and tagged length (the
/// spec's `store_string_into_range`).
pub(crate) fn lower<D: Dst>(d: &mut D, s: &str) -> Result<(u32, u32), Fault> {
    let source = d.source_encoding();
    let (simple, units, from_latin1_utf16) = match source {
        SourceEncoding::Utf8 => (Source::Utf8, s.len(), false),
        SourceEncoding::Utf16 => (Source::Utf16, utf16_len(s), false),
        SourceEncoding::Latin1Utf16 { force_utf16 } => {
            if !force_utf16 && is_latin1(s) {
                (Source::Latin1, s.chars().count(), true)
            } else {
                (Source::Utf16, utf16_len(s), true)
            }
        }
    };
    // Every size below is at most three times this, which then fits in 32 bits.
    let units = match u32::try_from(units) {
        Ok(n) if n <= MAX_STRING_BYTE_LENGTH => n,
        _ => return Err(trap::string_too_long(units as u64)),
    };
    match (d.encoding(), simple) {
        (StringEncoding::Utf8, Source::Utf8) => copy(d, s, units, 1, 1, Encode::Utf8),
        (StringEncoding::Utf8, Source::Utf16) => to_utf8(d, s, units, 3 * units),
        (StringEncoding::Utf8, Source::Latin1) => to_utf8(d, s, units, 2 * units),
        (StringEncoding::Utf16, Source::Utf8) => utf8_to_utf16(d, s, units),
        (StringEncoding::Utf16, _) => copy(d, s, units, 2, 2, Encode::Utf16),
        (StringEncoding::Latin1Utf16, _) if !from_latin1_utf16 => to_latin1_or_utf16(d, s, units),
        (StringEncoding::Latin1Utf16, Source::Latin1) => copy(d, s, units, 1, 2, Encode::Latin1),
        (StringEncoding::Latin1Utf16, _) => probably_utf16_to_latin1_or_utf16(d, s, units),
    }
}

/// An encoding to write a string in.
#[derive(Clone, Copy)]
enum Encode {
    Utf8,
    Utf16,
    Latin1,
}

/// Calls `realloc` and checks that the block it returns is aligned and inside memory.
fn realloc<D: Dst>(
    d: &mut D,
    old: u32,
    old_size: u32,
    align: u32,
    size: u32,
) -> Result<u32, Fault> {
    let ptr = d.realloc(old, old_size, align, size)?;
    d.check_realloc(ptr, align, size, "string content")?;
    Ok(ptr)
}

/// The destination block `[ptr, ptr + len)` of memory.
fn block(mem: &mut [u8], ptr: u32, len: usize) -> Result<&mut [u8], Fault> {
    let start = ptr as usize;
    match mem.get_mut(start..).and_then(|m| m.get_mut(..len)) {
        Some(block) => Ok(block),
        None => Err(trap::realloc_out_of_bounds(
            "string content",
            ptr,
            len as u32,
        )),
    }
}

/// Writes the UTF-16 encoding of `s` into `dst`, returning the number of bytes written.
fn write_utf16(dst: &mut [u8], s: &str) -> usize {
    let mut n = 0;
    for (unit, out) in s.encode_utf16().zip(dst.chunks_exact_mut(2)) {
        out.copy_from_slice(&unit.to_le_bytes());
        n += 2;
    }
    n
}

/// The spec's `store_string_copy`: the destination size is known up front.
fn copy<D: Dst>(
    d: &mut D,
    s: &str,
    units: u32,
    unit_size: u32,
    align: u32,
    encode: Encode,
) -> Result<(u32, u32), Fault> {
    let byte_len = unit_size * units;
    let ptr = realloc(d, 0, 0, align, byte_len)?;
    let dst = block(d.mem()?, ptr, byte_len as usize)?;
    match encode {
        Encode::Utf8 => dst.copy_from_slice(s.as_bytes()),
        Encode::Utf16 => {
            write_utf16(dst, s);
        }
        Encode::Latin1 => {
            for (out, c) in dst.iter_mut().zip(s.chars()) {
                // The caller checked that every character is below U+0100.
                *out = u32::from(c) as u8;
            }
        }
    }
    Ok((ptr, units))
}

/// The spec's `store_string_to_utf8`: optimistically one byte per code unit, then the worst
/// case, then shrink.
fn to_utf8<D: Dst>(d: &mut D, s: &str, units: u32, worst: u32) -> Result<(u32, u32), Fault> {
    let mut ptr = realloc(d, 0, 0, 1, units)?;
    let ascii = s.bytes().position(|b| b >= 0x80).unwrap_or(s.len());
    // The ASCII prefix is written one byte per character, at its character index.
    block(d.mem()?, ptr, units as usize)?[..ascii].copy_from_slice(&s.as_bytes()[..ascii]);
    if ascii == s.len() {
        return Ok((ptr, units));
    }
    ptr = realloc(d, ptr, units, 1, worst)?;
    let dst = block(d.mem()?, ptr, worst as usize)?;
    dst[ascii..s.len()].copy_from_slice(&s.as_bytes()[ascii..]);
    let len = s.len() as u32;
    if worst > len {
        ptr = realloc(d, ptr, worst, 1, len)?;
    }
    Ok((ptr, len))
}

/// The spec's `store_utf8_to_utf16`: allocate the worst case, then shrink.
fn utf8_to_utf16<D: Dst>(d: &mut D, s: &str, units: u32) -> Result<(u32, u32), Fault> {
    let worst = 2 * units;
    let mut ptr = realloc(d, 0, 0, 2, worst)?;
    let written = write_utf16(block(d.mem()?, ptr, worst as usize)?, s) as u32;
    if written < worst {
        ptr = realloc(d, ptr, worst, 2, written)?;
    }
    Ok((ptr, written / 2))
}

/// The spec's `store_string_to_latin1_or_utf16`: optimistically Latin-1, inflated in place to
/// UTF-16 at the first character that does not fit.
fn to_latin1_or_utf16<D: Dst>(d: &mut D, s: &str, units: u32) -> Result<(u32, u32), Fault> {
    let mut ptr = realloc(d, 0, 0, 2, units)?;
    let dst = block(d.mem()?, ptr, units as usize)?;
    let mut latin1 = 0;
    let mut rest = None;
    for (i, c) in s.char_indices() {
        if u32::from(c) < 0x100 {
            // The spec's source has at least as many code units as Latin-1 characters.
            dst[latin1] = u32::from(c) as u8;
            latin1 += 1;
        } else {
            rest = Some(i);
            break;
        }
    }
    let Some(rest) = rest else {
        if (latin1 as u32) < units {
            ptr = realloc(d, ptr, units, 2, latin1 as u32)?;
        }
        return Ok((ptr, latin1 as u32));
    };
    let worst = 2 * units;
    ptr = realloc(d, ptr, units, 2, worst)?;
    let dst = block(d.mem()?, ptr, worst as usize)?;
    // Inflate the Latin-1 prefix in place, from the end so no byte is overwritten before it
    // is read.
    for j in (0..latin1).rev() {
        dst[2 * j] = dst[j];
        dst[2 * j + 1] = 0;
    }
    let len = (2 * latin1 + write_utf16(&mut dst[2 * latin1..], &s[rest..])) as u32;
    if worst > len {
        ptr = realloc(d, ptr, worst, 2, len)?;
    }
    Ok((ptr, (len / 2) | UTF16_TAG))
}

/// The spec's `store_probably_utf16_to_latin1_or_utf16`: UTF-16 first, deflated in place to
/// Latin-1 if every character fits.
fn probably_utf16_to_latin1_or_utf16<D: Dst>(
    d: &mut D,
    s: &str,
    units: u32,
) -> Result<(u32, u32), Fault> {
    let byte_len = 2 * units;
    let mut ptr = realloc(d, 0, 0, 2, byte_len)?;
    let dst = block(d.mem()?, ptr, byte_len as usize)?;
    let written = write_utf16(dst, s);
    if !is_latin1(s) {
        return Ok((ptr, (written as u32 / 2) | UTF16_TAG));
    }
    let latin1 = written / 2;
    for i in 0..latin1 {
        dst[i] = dst[2 * i];
    }
    ptr = realloc(d, ptr, byte_len, 1, latin1 as u32)?;
    Ok((ptr, latin1 as u32))
}
