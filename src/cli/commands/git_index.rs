//! Whether one path is in a git index file, read as git reads it but without building an
//! entry for every file, and in versions 2 and 3 without reading every entry: the cost of a
//! lookup depends on the paths looked up, not on the size of the repository.
//!
//! Format: `Documentation/gitformat-index.txt` of git. A 12-byte header (`DIRC`, version,
//! entry count), the entries sorted by path bytes (then stage), extensions (a 4-byte
//! signature, a 4-byte size, data), the checksum.
//!
//! # Versions 2 and 3: a binary search that cannot be fooled ([`search`])
//!
//! An entry is a header (ctime, mtime, dev, ino, mode, uid, gid, size: 4 bytes each; the
//! object id; 16 bits of flags; in version 3, 16 more bits of extended flags when the flags
//! say so), the path, and 1 to 8 NUL bytes that pad the entry to a multiple of 8 bytes. So
//! every entry starts at an offset that is 4 modulo 8 (12 + multiples of 8). The search
//! rests on three facts about every entry git writes:
//!
//! 1. its mode (offset 24) is below 0x10000 (git keeps only `S_IFREG` 0644/0755, `S_IFLNK`,
//!    the gitlink 0160000 and, in sparse indexes, `S_IFDIR`), so bytes 24 and 25 are NUL;
//! 2. its path holds no NUL byte and is not empty, and is followed by at least one NUL;
//! 3. in version 3, the low byte of the extended flags (offset 63 with SHA-1) is NUL (git
//!    uses bits 13 and 14 of that field only); version 2 has no extended flags (git writes
//!    version 3 as soon as one entry needs them, even when asked for version 2).
//!
//! **Lemma.** Inside the entries, a run of non-NUL bytes that holds no path byte is at most
//! 35 bytes long in version 2, 37 in version 3 (SHA-1; 47 and 49 with SHA-256). Such a run
//! lies within one entry's header: before byte 24 (at most 24 bytes, the byte before an
//! entry being a padding NUL; at most 27 for the first entry, whose run may start in the
//! index header's entry count) or between byte 26 and the path, ending on a NUL before the
//! path starts (62, or 64 with extended flags, the 64th being a NUL by fact 3). **So a
//! maximal run of at least 36 (version 2) or 38 (version 3) non-NUL bytes holds a path
//! byte; it then holds the rest of that path (fact 2), and its terminating NUL is the NUL
//! right after a path.** That entry ends at the first offset after that NUL that is 4
//! modulo 8 (the padding), which is therefore where an entry starts. Such a run is an
//! *anchor*: whatever the paths hold (any byte but NUL, sequences that look like entry
//! headers included: a header needs the NULs of fact 1, which no path can hold), no
//! position other than an entry start is ever taken for one.
//!
//! The search keeps `lo` (an entry start: every entry before it sorts before the path) and
//! `hi` (an entry start or the end of the entries: no entry from it on sorts before the
//! path); it looks for an anchor at or after the middle, reads that entry (checking facts 1
//! to 3 on it) and moves `lo` past it or `hi` to it. When the gap holds no anchor (paths
//! shorter than the bound, a repository of short names), the gap is walked entry by entry
//! from `lo`, which is always correct. Equal paths (the stages of an unmerged file) are
//! found by the final walk, which starts before the first of them.
//!
//! **Where the entries end** must be known, or an anchor could be taken in the extensions
//! (whose data, cache-tree names for one, may hold long non-NUL runs). It is known when:
//! - the `EOIE` extension is there (git writes it with `index.recordEndOfIndexEntries` or
//!   `index.threads`): its offset is accepted as git accepts it, when the extension headers
//!   from that offset lead exactly to it and their hash is the one it records; or
//! - the cache tree (`TREE`) is the only extension (what git writes by default once a
//!   commit exists) and its root is `HEAD`'s tree. Scanning back from the checksum, the
//!   first `TREE` at an offset 4 modulo 8 whose size ends it exactly at the checksum is the
//!   one candidate (if it fails what follows, none other is tried). Its data must begin with
//!   the root: an empty name, the header's entry count, a space, a subtree count, a newline,
//!   and an object id equal to the id of `HEAD`'s tree (read from the object database). Those
//!   bytes prove the candidate: had it been found inside the cache tree's own data, the id
//!   would be that of a directory below the root, which cannot equal the root's (a tree
//!   cannot contain itself), or bytes of names and counts that would have to equal the hash
//!   of a tree holding those very names (a SHA-1 fixed point); inside the entries, the
//!   empty name's NUL and the count line (a space, a newline) cannot sit in a path (the
//!   NUL), and header bytes are not the attacker's (times, device and inode numbers). No
//!   `IEOT` may end at the candidate (git writes that table before the cache tree) and no
//!   split index may exist (the caller has found no shared index file, without which git
//!   cannot read a `link` extension).
//! - Otherwise (no cache tree yet, other extensions, a split index, a sparse index with its
//!   `sdir` extension, anything that does not parse), [`walk`] reads the entries in order.
//!
//! The index bytes themselves are trusted to be as git writes them (facts 1 to 3, sorted
//! paths): whoever can write `.git/index` can write `.git/config` too (hooks,
//! `core.fsmonitor`) and make git itself say anything. Everything that goes *into* the
//! index (paths, file contents and sizes) may be chosen by an attacker. Each entry the
//! search reads is checked against the facts all the same, and any surprise makes it give
//! up to the walk.
//!
//! # Version 4 and the rest: the walk ([`walk`])
//!
//! Version 4 compresses each path against the previous one, so no entry can be read
//! without all those before it. The entries are walked in place (one pass over the bytes,
//! no allocation per entry), stopping at the first entry that sorts after the path when the
//! caller has proven there is no split index. Anything the walk does not cover answers
//! [`Lookup::Unsure`], and the caller falls back to the full decoder (`gix`): a split index
//! (`link` extension: most entries live in a shared index), a `.gitignore` of the path's
//! folders with the skip-worktree bit (git then reads its rules from the index, sparse
//! checkouts), or bytes that do not parse.

/// What the index says of one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// An entry has exactly this path (any stage: an unmerged file is tracked).
    Tracked,
    /// No entry has this path, and no `.gitignore` along it is read from the index: the
    /// ignore rules come from the work tree alone.
    Untracked,
    /// The walk cannot answer; decode the whole index.
    Unsure,
}

/// Looks `path` (relative to the work tree, `/`-separated) up in the index `bytes`, whose
/// trailing checksum is `hash_len` bytes long (20 for SHA-1 repositories).
///
/// `stop_early`: the caller has proven there is no split index (no `sharedindex.*` file for
/// a `link` extension to name), so the walk may end at the first entry that sorts after
/// `path` and the `.gitignore` files of its folders (entries are sorted by path bytes): on
/// average half the index is read, and none of its extensions.
///
/// `head_tree`: the object id of `HEAD`'s tree, asked for only when the cache tree is used
/// to find where the entries end (see the module documentation).
pub fn lookup(
    bytes: &[u8],
    path: &[u8],
    hash_len: usize,
    stop_early: bool,
    head_tree: &dyn Fn() -> Option<Vec<u8>>,
) -> Lookup {
    if stop_early {
        if let Some(answer) = search(bytes, path, hash_len, head_tree) {
            return answer;
        }
    }
    walk(bytes, path, hash_len, stop_early).unwrap_or(Lookup::Unsure)
}

/// The last path that matters besides `path` itself: the `.gitignore` of each of its
/// folders, the root's first.
fn ignore_files(path: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![b".gitignore".to_vec()];
    for (i, _) in path.iter().enumerate().filter(|(_, b)| **b == b'/') {
        out.push([&path[..=i], b".gitignore"].concat());
    }
    out
}

/// One entry of a version 2 or 3 index, read at an offset known to start one.
struct Entry<'a> {
    path: &'a [u8],
    skip_worktree: bool,
    /// Where the next entry starts.
    next: usize,
}

/// The entries of a version 2 or 3 index whose end is known (`12..end`).
struct Entries<'a> {
    bytes: &'a [u8],
    end: usize,
    version: u32,
    flags_at: usize,
    /// The shortest run of non-NUL bytes that must hold a path byte (module documentation).
    anchor_run: usize,
}

/// How far an anchor is looked for from the middle of the gap: beyond it (a repository
/// whose paths are all shorter than the bound), the gap is walked.
const ANCHOR_SCAN: usize = 32 << 10;

/// Mode bits git can write (`S_IFMT` and the permission bits): below 0x10000.
const MODE_LIMIT: u32 = 0x1_0000;
/// The extended-flag bits git uses (intent-to-add, skip-worktree); the rest are zero.
const EXTENDED_KNOWN: u16 = 0x6000;

impl<'a> Entries<'a> {
    /// The entry starting at `at`, its facts checked (module documentation); `None` when
    /// one does not hold or the entry would run past `limit`.
    fn entry(&self, at: usize, limit: usize) -> Option<Entry<'a>> {
        let b = self.bytes;
        if be32(b, at + 24)? >= MODE_LIMIT {
            return None;
        }
        let flags = be16(b, at + self.flags_at)?;
        let mut header = self.flags_at + 2;
        let mut skip_worktree = false;
        if flags & EXTENDED != 0 {
            let extended = be16(b, at + header)?;
            if self.version < 3 || extended & !EXTENDED_KNOWN != 0 {
                return None;
            }
            skip_worktree = extended & SKIP_WORKTREE != 0;
            header += 2;
        }
        let rest = b.get(at + header..limit)?;
        // The name length, or 0xfff for "this long or longer": the path ends at a NUL.
        let field = usize::from(flags & NAME_MASK);
        let len = if field < usize::from(NAME_MASK) {
            if memchr::memchr(0, rest.get(..field)?).is_some() {
                return None;
            }
            field
        } else {
            memchr::memchr(0, rest).filter(|n| *n >= field)?
        };
        if len == 0 {
            return None;
        }
        let next = at + ((header + len + 8) & !7);
        // The padding: 1 to 8 NUL bytes.
        if next > limit || b.get(at + header + len..next)?.iter().any(|c| *c != 0) {
            return None;
        }
        Some(Entry {
            path: &rest[..len],
            skip_worktree,
            next,
        })
    }

    /// The first entry start proven by an anchor (a run of at least `anchor_run` non-NUL
    /// bytes ending on a NUL at or after `from`), if one lies before `limit` and within
    /// [`ANCHOR_SCAN`] bytes of `from`.
    fn anchor(&self, from: usize, limit: usize) -> Option<usize> {
        let b = self
            .bytes
            .get(..limit.min(from.saturating_add(ANCHOR_SCAN)))?;
        // The run that reaches `from` may have started before it.
        let mut run_start = memchr::memrchr(0, b.get(..from)?).map_or(0, |i| i + 1);
        for nul in memchr::memchr_iter(0, b.get(from..)?).map(|i| from + i) {
            if nul - run_start >= self.anchor_run {
                // The first offset after the NUL that is 4 modulo 8.
                let start = nul + 1 + (12 - (nul + 1) % 8) % 8;
                return (start < limit).then_some(start);
            }
            run_start = nul + 1;
        }
        None
    }

    /// Every entry whose path is `key`: `(found, any with skip-worktree)`, or `None` when
    /// an entry read breaks a fact or the order.
    fn find(&self, key: &[u8]) -> Option<(bool, bool)> {
        // Below this gap, walking is cheaper than looking for an anchor.
        const WALK: usize = 2048;
        let (mut lo, mut hi) = (12, self.end);
        while hi - lo > WALK {
            let Some(at) = self.anchor(lo + (hi - lo) / 2, hi) else {
                break;
            };
            let entry = self.entry(at, hi)?;
            if entry.path < key {
                lo = entry.next;
            } else {
                hi = at;
            }
        }
        let (mut found, mut skip) = (false, false);
        let mut previous: &[u8] = &[];
        let mut at = lo;
        while at < self.end {
            let entry = self.entry(at, self.end)?;
            if entry.path < previous {
                return None;
            }
            if entry.path > key {
                return Some((found, skip));
            }
            if entry.path == key {
                found = true;
                skip |= entry.skip_worktree;
            }
            previous = entry.path;
            at = entry.next;
        }
        (at == self.end).then_some((found, skip))
    }
}

/// [`lookup`] for versions 2 and 3 by binary search; `None` when it cannot answer with
/// proof (then the walk answers).
fn search(
    bytes: &[u8],
    path: &[u8],
    hash_len: usize,
    head_tree: &dyn Fn() -> Option<Vec<u8>>,
) -> Option<Lookup> {
    if bytes.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(bytes, 4)?;
    if !(2..=3).contains(&version) {
        return None;
    }
    let count = usize::try_from(be32(bytes, 8)?).ok()?;
    let flags_at = FLAGS_AT_SHA1 + hash_len - 20;
    // The smallest entry: a one-byte path and its NUL, padded.
    let smallest = (flags_at + 2 + 1 + 8) & !7;
    let least_end = count.checked_mul(smallest)?.checked_add(12)?;
    let end = entries_end(bytes, hash_len, least_end, head_tree)?;
    let entries = Entries {
        bytes,
        end,
        version,
        flags_at,
        anchor_run: flags_at + 2 - 26 + if version == 3 { 2 } else { 0 },
    };
    let (tracked, _) = entries.find(path)?;
    for ignore in ignore_files(path) {
        let (found, skip_worktree) = entries.find(&ignore)?;
        if found && skip_worktree {
            return Some(Lookup::Unsure);
        }
    }
    Some(if tracked {
        Lookup::Tracked
    } else {
        Lookup::Untracked
    })
}

/// Where the entries of a version 2 or 3 index end, when that is proven (module
/// documentation): by a valid `EOIE` extension, or by a cache tree that is the only
/// extension and whose root is `HEAD`'s tree. `least` is the least possible end.
fn entries_end(
    bytes: &[u8],
    hash_len: usize,
    least: usize,
    head_tree: &dyn Fn() -> Option<Vec<u8>>,
) -> Option<usize> {
    let end = bytes.len().checked_sub(hash_len)?;
    if end < least {
        return None;
    }
    // EOIE: signature, size (4 + hash), offset, hash of the extension headers; last.
    if let Some(eoie) = end.checked_sub(8 + 4 + hash_len) {
        if bytes.get(eoie..eoie + 4) == Some(b"EOIE".as_slice()) {
            return eoie_end(bytes, eoie, hash_len, least);
        }
    }
    // The last `TREE` signature at an offset 4 modulo 8 whose size ends it at the checksum.
    let mut upto = end;
    let tree = loop {
        let at = memchr::memmem::rfind(bytes.get(least..upto)?, b"TREE")? + least;
        if at % 8 == 4 && usize::try_from(be32(bytes, at + 4)?).ok()? == end - at - 8 {
            break at;
        }
        upto = at + 3;
    };
    // An offset table written before it (git writes `IEOT` first) would end right here.
    let mut blocks = 1;
    while let Some(ieot) = tree.checked_sub(12 + 8 * blocks).filter(|a| *a >= least) {
        if bytes.get(ieot..ieot + 4) == Some(b"IEOT".as_slice())
            && be32(bytes, ieot + 4)? as usize == 4 + 8 * blocks
        {
            return None;
        }
        blocks += 1;
        if blocks > 4096 {
            break;
        }
    }
    // The root: an empty name, its entry count (every entry), its subtree count, its id.
    let root = bytes.get(tree + 8..end)?;
    let line_end = memchr::memchr(b'\n', root)?;
    let line = root.get(1..line_end)?;
    let (entries, subtrees) = std::str::from_utf8(line).ok()?.split_once(' ')?;
    let all = be32(bytes, 8)?.to_string();
    if root.first() != Some(&0)
        || entries != all
        || subtrees.is_empty()
        || !subtrees.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let id = root.get(line_end + 1..line_end + 1 + hash_len)?;
    (head_tree()?.as_slice() == id).then_some(tree)
}

/// The entries' end that an `EOIE` extension at `eoie` records, checked as git checks it:
/// the extension headers from that offset lead exactly to it, their hash is the one it
/// holds; and none of them is a split index (`link`) or a sparse index (`sdir`).
fn eoie_end(bytes: &[u8], eoie: usize, hash_len: usize, least: usize) -> Option<usize> {
    if be32(bytes, eoie + 4)? as usize != 4 + hash_len {
        return None;
    }
    let offset = usize::try_from(be32(bytes, eoie + 8)?).ok()?;
    if offset < least || offset % 8 != 4 || offset > eoie {
        return None;
    }
    let kind = match hash_len {
        20 => gix::hash::Kind::Sha1,
        _ => return None,
    };
    let mut hasher = gix::hash::hasher(kind);
    let mut at = offset;
    while at < eoie {
        let header = bytes.get(at..at + 8)?;
        if &header[..4] == b"link" || &header[..4] == b"sdir" {
            return None;
        }
        hasher.update(header);
        at = at
            .checked_add(8)?
            .checked_add(usize::try_from(be32(bytes, at + 4)?).ok()?)?;
    }
    let hash = hasher.try_finalize().ok()?;
    (at == eoie && bytes.get(eoie + 12..eoie + 12 + hash_len)? == hash.as_slice()).then_some(offset)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// Entry header: ctime, mtime (8 each), dev, ino, mode, uid, gid, size (4 each), object id,
/// then 16 bits of flags.
const FLAGS_AT_SHA1: usize = 40 + 20;
const EXTENDED: u16 = 0x4000;
const NAME_MASK: u16 = 0x0fff;
const SKIP_WORKTREE: u16 = 0x4000;

/// Is `entry` the `.gitignore` of one of `path`'s folders (the root's included)?
fn ignore_file_of(entry: &[u8], path: &[u8]) -> bool {
    let Some(dir) = entry.strip_suffix(b".gitignore") else {
        return false;
    };
    (dir.is_empty() || dir.ends_with(b"/")) && path.len() > dir.len() && path.starts_with(dir)
}

fn walk(bytes: &[u8], path: &[u8], hash_len: usize, stop_early: bool) -> Option<Lookup> {
    if bytes.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(bytes, 4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = be32(bytes, 8)?;
    let end = bytes.len().checked_sub(hash_len)?;
    let flags_at = FLAGS_AT_SHA1 + hash_len - 20;
    let mut at = 12;
    let mut found = false;
    // The last path that matters: `path` or the `.gitignore` of one of its folders.
    let mut last = path.to_vec();
    for (i, _) in path.iter().enumerate().filter(|(_, b)| **b == b'/') {
        let ignore = [&path[..=i], b".gitignore"].concat();
        last = last.max(ignore);
    }
    last = last.max(b".gitignore".to_vec());
    // Version 4: the previous path, which the next one shares a prefix with.
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let flags = be16(bytes, at + flags_at)?;
        let mut header = flags_at + 2;
        let mut skip_worktree = false;
        if flags & EXTENDED != 0 {
            if version < 3 {
                return None;
            }
            skip_worktree = be16(bytes, at + header)? & SKIP_WORKTREE != 0;
            header += 2;
        }
        let start = at + header;
        let rest = bytes.get(start..end)?;
        let entry_path: &[u8];
        if version == 4 {
            // A varint (git's offset encoding): how many bytes to drop from the previous
            // path; then the rest of this path, NUL-terminated; no padding.
            let (strip, used) = varint(rest)?;
            let suffix = &rest[used..];
            let nul = memchr::memchr(0, suffix)?;
            let keep = previous.len().checked_sub(usize::try_from(strip).ok()?)?;
            previous.truncate(keep);
            previous.extend_from_slice(&suffix[..nul]);
            entry_path = &previous;
            at = start + used + nul + 1;
        } else {
            let len = usize::from(flags & NAME_MASK);
            let len = if len < usize::from(NAME_MASK) {
                (rest.get(len)? == &0).then_some(len)?
            } else {
                memchr::memchr(0, rest)?
            };
            entry_path = &rest[..len];
            // Padded with 1 to 8 NUL bytes to a multiple of 8.
            at += (header + len + 8) & !7;
        }
        // Lengths and first bytes first: most entries are told apart without a memcmp.
        if entry_path.len() == path.len() && entry_path == path {
            found = true;
        }
        if skip_worktree && ignore_file_of(entry_path, path) {
            return Some(Lookup::Unsure);
        }
        if stop_early
            && entry_path.first().is_some_and(|b| *b >= last[0])
            && entry_path > last.as_slice()
        {
            return Some(if found {
                Lookup::Tracked
            } else {
                Lookup::Untracked
            });
        }
    }
    // Extensions up to the checksum: a split index keeps its entries elsewhere.
    while at < end {
        let signature = bytes.get(at..at + 4)?;
        let size = usize::try_from(be32(bytes, at + 4)?).ok()?;
        if signature == b"link" {
            return Some(Lookup::Unsure);
        }
        at = at.checked_add(8)?.checked_add(size)?;
    }
    if at != end {
        return None;
    }
    Some(if found {
        Lookup::Tracked
    } else {
        Lookup::Untracked
    })
}

/// git's `decode_varint` (varint.c): 7 bits a byte, most significant first, each
/// continuation adding one.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, &c) in b.iter().enumerate().take(10) {
        if i > 0 {
            value = value.checked_add(1)?.checked_mul(128)?;
        }
        value |= u64::from(c & 0x7f);
        if c & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
#[path = "git_index_tests.rs"]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_decode_as_git_writes_them() {
        assert_eq!(varint(&[0x00]), Some((0, 1)));
        assert_eq!(varint(&[0x7f]), Some((127, 1)));
        // git encodes 128 as 0x80 0x00.
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x80, 0x01]), Some((129, 2)));
        assert_eq!(varint(&[0x80]), None);
    }

    #[test]
    fn ignore_files_along_a_path() {
        assert!(ignore_file_of(b".gitignore", b"a/b.yaml"));
        assert!(ignore_file_of(b"a/.gitignore", b"a/b.yaml"));
        assert!(!ignore_file_of(b"b/.gitignore", b"a/b.yaml"));
        assert!(!ignore_file_of(b"a/x.gitignore", b"a/b.yaml"));
        assert!(!ignore_file_of(b"a/b/.gitignore", b"a/b.yaml"));
    }

    #[test]
    fn garbage_is_unsure() {
        assert_eq!(lookup(b"", b"a", 20, false, &|| None), Lookup::Unsure);
        assert_eq!(
            lookup(b"DIRC\0\0\0\x05\0\0\0\0", b"a", 20, false, &|| None),
            Lookup::Unsure
        );
        let mut empty = b"DIRC\0\0\0\x02\0\0\0\0".to_vec();
        empty.extend([0u8; 20]);
        assert_eq!(lookup(&empty, b"a", 20, false, &|| None), Lookup::Untracked);
        empty.truncate(empty.len() - 1);
        assert_eq!(lookup(&empty, b"a", 20, false, &|| None), Lookup::Unsure);
    }
}
