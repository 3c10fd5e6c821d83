//! Differential tests of the index lookup against the real git: indexes written by git
//! (`git update-index --index-info`, so any path git accepts can be written without a file,
//! long and odd ones included), every answer compared with `git ls-files`.

use super::*;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Repo {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Repo {
    /// A fresh repository with a private configuration; `None` without git (a failure
    /// under `CI=true`).
    fn new() -> Option<Repo> {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        std::fs::create_dir_all(tmp.path().join("home")).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo { _tmp: tmp, dir };
        let ok = Command::new("git")
            .args(["init", "-q"])
            .current_dir(&repo.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "git is needed for the index tests"
            );
            eprintln!("SKIPPED: git not found");
            return None;
        }
        repo.git(&["config", "user.name", "t"], b"");
        repo.git(&["config", "user.email", "t@example.com"], b"");
        Some(repo)
    }

    fn git(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let mut child = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .env("HOME", self._tmp.path().join("home"))
            .env("XDG_CONFIG_HOME", self._tmp.path().join("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Adds `paths` to the index (no files needed), at `stage`, all with one blob.
    fn add(&self, paths: &[Vec<u8>], stage: u8) {
        let blob = self.git(&["hash-object", "-w", "--stdin"], b"k: v\n");
        let blob = String::from_utf8(blob).unwrap();
        let mut info = Vec::new();
        for p in paths {
            info.extend_from_slice(format!("100644 {} {stage}\t", blob.trim()).as_bytes());
            info.extend_from_slice(p);
            info.push(0);
        }
        self.git(&["update-index", "-z", "--index-info"], &info);
    }

    fn commit(&self) {
        self.git(&["commit", "-qm", "c", "--allow-empty"], b"");
    }

    fn index(&self) -> Vec<u8> {
        std::fs::read(self.dir.join(".git/index")).unwrap()
    }

    /// `git ls-files`: every path with an entry (any stage).
    fn tracked(&self) -> BTreeSet<Vec<u8>> {
        self.git(&["ls-files", "-z", "--stage"], b"")
            .split(|b| *b == 0)
            .filter(|l| !l.is_empty())
            .map(|l| l[l.iter().position(|b| *b == b'\t').unwrap() + 1..].to_vec())
            .collect()
    }

    /// `HEAD`'s tree, `None` before the first commit.
    fn head_tree(&self) -> Option<Vec<u8>> {
        let out = Command::new("git")
            .args(["rev-parse", "-q", "--verify", "HEAD^{tree}"])
            .current_dir(&self.dir)
            .output()
            .unwrap();
        if !out.status.success() {
            return None;
        }
        let hex = out.stdout;
        let hex = std::str::from_utf8(&hex).unwrap().trim();
        Some(
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect(),
        )
    }
}

/// Paths around each tracked one (before, after, its folders, longer, shorter), and some
/// that sort before or after everything.
fn probes(tracked: &BTreeSet<Vec<u8>>) -> BTreeSet<Vec<u8>> {
    let mut out: BTreeSet<Vec<u8>> = tracked.clone();
    for p in tracked.iter().step_by(3) {
        out.insert([p.as_slice(), b"x"].concat());
        out.insert([p.as_slice(), b"/x"].concat());
        out.insert(p[..p.len() - 1].to_vec());
        let mut bumped = p.clone();
        *bumped.last_mut().unwrap() = bumped.last().unwrap().wrapping_add(1).max(1);
        out.insert(bumped);
        for (i, _) in p.iter().enumerate().filter(|(_, b)| **b == b'/') {
            out.insert(p[..i].to_vec());
        }
    }
    for p in [
        &b"\x01"[..],
        b"a",
        b"values-secret.yaml",
        b"zzzz",
        b"\xff\xff\xff",
    ] {
        out.insert(p.to_vec());
    }
    out.remove(&Vec::new());
    out
}

/// Every probe: `lookup` gives git's answer; with `fast`, the binary search answered it
/// (not the walk), without `fast` it declined.
fn agree(repo: &Repo, what: &str, fast: bool) {
    let bytes = repo.index();
    let tracked = repo.tracked();
    let tree = repo.head_tree();
    let head = || tree.clone();
    let mut answers = BTreeSet::new();
    for p in probes(&tracked) {
        let want = if tracked.contains(&p) {
            Lookup::Tracked
        } else {
            Lookup::Untracked
        };
        let searched = search(&bytes, &p, 20, &head);
        if fast {
            assert_eq!(
                searched.as_ref(),
                Some(&want),
                "{what}: search for {:?}",
                String::from_utf8_lossy(&p)
            );
        } else {
            assert_eq!(searched, None, "{what}: the search must decline");
        }
        let got = lookup(&bytes, &p, 20, true, &head);
        assert_eq!(got, want, "{what}: {:?}", String::from_utf8_lossy(&p));
        answers.insert(format!("{got:?}"));
    }
    assert_eq!(answers.len(), 2, "{what}: both answers occur");
}

/// Many paths, some long (over 0xfff bytes, so their name field says "0xfff or more"),
/// some made of the bytes an entry header holds (modes, flags, `DIRC`, `TREE`, `EOIE`),
/// control bytes and bytes over 0x7f; at every length modulo 8, so every padding occurs.
fn many_paths(n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..n {
        // Mostly GitOps-like paths (long enough to anchor the search), some short ones.
        let depth = i % 4;
        let mut p = Vec::new();
        for d in 0..depth {
            p.extend_from_slice(format!("d{}-{}/", d, (i / 7) % 13).as_bytes());
        }
        if i % 5 != 0 {
            p.extend_from_slice(b"clusters/production/apps/");
        }
        p.extend_from_slice(format!("f{i}{}.yaml", "x".repeat(i % 9)).as_bytes());
        out.push(p);
    }
    // Look like entry headers and fields: big-endian modes, a name length, signatures.
    let odd: [&[u8]; 10] = [
        b"\x81\xa4\x81\xed\xa0\xe0",
        b"\x01\x41values-secret.yaml",
        b"\x0f\xffff",
        b"DIRC\x01\x02\x03\x02",
        b"TREE\x01\x01\x01\x01-1 1\n",
        b"EOIE\x01\x01\x01\x18",
        b"\xff\xfe\xfd",
        b"tab\there\nnewline",
        b"\x01",
        b"a\x7fb",
    ];
    for (i, o) in odd.iter().enumerate() {
        out.push([b"odd/".as_slice(), o].concat());
        out.push([format!("z{i}/").as_bytes(), o, b"/", o].concat());
    }
    // Long paths: components of 200 bytes, total over 0xfff.
    let part = "p".repeat(200);
    for j in 0..3 {
        let mut p = Vec::new();
        for k in 0..22 {
            p.extend_from_slice(format!("{part}{k}/").as_bytes());
        }
        p.extend_from_slice(format!("long{j}.yaml").as_bytes());
        assert!(p.len() > 0xfff);
        out.push(p);
    }
    out
}

#[test]
fn version_2_committed_is_searched_and_agrees_with_git() {
    let Some(repo) = Repo::new() else { return };
    repo.add(&many_paths(2000), 0);
    repo.commit();
    assert_eq!(&repo.index()[4..8], &[0, 0, 0, 2]);
    agree(&repo, "version 2, cache tree is HEAD's", true);
}

#[test]
fn version_3_and_eoie_are_searched_unmerged_stages_found() {
    let Some(repo) = Repo::new() else { return };
    let paths = many_paths(1000);
    repo.add(&paths, 0);
    repo.commit();
    // Extended flags: skip-worktree entries make git write version 3.
    for p in paths.iter().step_by(97).filter(|p| p.is_ascii()) {
        let p = std::str::from_utf8(p).unwrap();
        repo.git(&["update-index", "--skip-worktree", "--", p], b"");
    }
    assert_eq!(&repo.index()[4..8], &[0, 0, 0, 3]);
    // Setting the bit invalidates the cache tree; a commit makes it whole again.
    agree(&repo, "version 3, cache tree invalidated", false);
    repo.commit();
    agree(&repo, "version 3, cache tree is HEAD's", true);
    // Unmerged stages (1, 2, 3) of new paths, among the others: the cache tree is invalid,
    // so the end of the entries comes from EOIE.
    let conflicted: Vec<Vec<u8>> = vec![b"d0-1/conflict.yaml".to_vec(), b"mid.yaml".to_vec()];
    for stage in 1..=3 {
        repo.add(&conflicted, stage);
    }
    agree(
        &repo,
        "unmerged, no EOIE: the cache tree is not HEAD's",
        false,
    );
    repo.git(
        &[
            "-c",
            "index.recordEndOfIndexEntries=true",
            "update-index",
            "--force-write-index",
        ],
        b"",
    );
    assert!(memchr::memmem::find(&repo.index(), b"EOIE").is_some());
    agree(&repo, "unmerged, EOIE", true);
    // index.threads writes the offset table (IEOT) first and EOIE last.
    repo.git(
        &[
            "-c",
            "index.threads=2",
            "-c",
            "index.recordOffsetTable=true",
            "update-index",
            "--force-write-index",
        ],
        b"",
    );
    agree(&repo, "EOIE and IEOT", true);
}

#[test]
fn other_shapes_fall_back_to_the_walk() {
    let Some(repo) = Repo::new() else { return };
    repo.add(&many_paths(600), 0);
    // No commit: no cache tree (nothing proves where the entries end).
    agree(&repo, "no cache tree", false);
    repo.commit();
    agree(&repo, "committed", true);
    // A new entry invalidates the cache tree's root.
    repo.add(&[b"d0-0/new.yaml".to_vec()], 0);
    agree(&repo, "cache tree invalidated", false);
    repo.commit();
    // Version 4: prefix-compressed paths.
    repo.git(&["update-index", "--index-version", "4"], b"");
    agree(&repo, "version 4", false);
    repo.git(&["update-index", "--index-version", "2"], b"");
    agree(&repo, "back to version 2", true);
    // The untracked cache: another extension after the cache tree.
    repo.git(&["update-index", "--untracked-cache"], b"");
    agree(&repo, "untracked cache", false);
}

#[test]
fn a_cache_tree_that_is_not_heads_proves_nothing() {
    let Some(repo) = Repo::new() else { return };
    repo.add(&many_paths(500), 0);
    repo.commit();
    let bytes = repo.index();
    let wrong = || Some(vec![0u8; 20]);
    assert_eq!(search(&bytes, b"values-secret.yaml", 20, &wrong), None);
    let none = || None;
    assert_eq!(search(&bytes, b"values-secret.yaml", 20, &none), None);
}

/// The search reads a few entries, not all: an entry it has no need of is damaged (its
/// name length made 0) and the answers far from it do not change, where the walk, which
/// reads every entry before the path, derails; the damaged entry itself is refused.
#[test]
fn the_search_reads_only_the_entries_it_needs() {
    let Some(repo) = Repo::new() else { return };
    let paths: Vec<Vec<u8>> = (0..4000)
        .map(|i| {
            format!(
                "clusters/c{:02}/apps/app{:02}/m{i:06}.yaml",
                i / 100,
                i % 20
            )
            .into_bytes()
        })
        .collect();
    repo.add(&paths, 0);
    repo.commit();
    let mut bytes = repo.index();
    let tree = repo.head_tree();
    let head = || tree.clone();
    let target = repo.tracked().into_iter().next_back().unwrap();
    assert_eq!(search(&bytes, &target, 20, &head), Some(Lookup::Tracked));
    // The 50th entry's name length: 0.
    let mut at = 12;
    for _ in 0..50 {
        let len = usize::from(be16(&bytes, at + 60).unwrap() & NAME_MASK);
        at += (62 + len + 8) & !7;
    }
    let damaged = bytes[at + 62..at + 62 + 36].to_vec();
    bytes[at + 61] = 0;
    assert_eq!(search(&bytes, &target, 20, &head), Some(Lookup::Tracked));
    assert_eq!(
        search(&bytes, b"values-secret.yaml", 20, &head),
        Some(Lookup::Untracked)
    );
    assert_eq!(walk(&bytes, &target, 20, true), None);
    assert_eq!(search(&bytes, &damaged, 20, &head), None);
}

/// A path git accepts: components of any bytes but NUL and `/`, none of them `.`, `..` or
/// `.git`; long components and header-like bytes are likely.
fn arbitrary_path() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    let byte = prop_oneof![
        4 => b'a'..=b'e',
        1 => 1u8..=255,
        1 => Just(0x81u8),
        1 => Just(0xa4u8),
    ]
    .prop_filter("no slash", |b| *b != b'/');
    let component = proptest::collection::vec(byte, 1..48).prop_filter("not . .. .git", |c| {
        !matches!(c.as_slice(), b"." | b".." | b".git")
    });
    proptest::collection::vec(component, 1..4).prop_map(|cs| cs.join(&b'/'))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Any set of paths: every path git lists is found, and every other probe is not; the
    /// search, whenever it answers (rather than leave it to the walk), answers right.
    #[test]
    fn any_paths_agree_with_git(
        paths in proptest::collection::btree_set(arbitrary_path(), 1..160),
    ) {
        let Some(repo) = Repo::new() else { return Ok(()) };
        // A file and a folder of one name cannot both be tracked: keep the first of each.
        let mut kept: Vec<Vec<u8>> = Vec::new();
        for p in &paths {
            let clash = kept.iter().any(|k| {
                p.starts_with(k) && p.get(k.len()) == Some(&b'/')
                    || k.starts_with(p) && k.get(p.len()) == Some(&b'/')
            });
            if !clash {
                kept.push(p.clone());
            }
        }
        repo.add(&kept, 0);
        repo.commit();
        let bytes = repo.index();
        let tracked = repo.tracked();
        proptest::prop_assert_eq!(tracked.len(), kept.len());
        let tree = repo.head_tree();
        let head = || tree.clone();
        for p in probes(&tracked) {
            let want = if tracked.contains(&p) { Lookup::Tracked } else { Lookup::Untracked };
            if let Some(got) = search(&bytes, &p, 20, &head) {
                proptest::prop_assert_eq!(got, want);
            }
            proptest::prop_assert_eq!(lookup(&bytes, &p, 20, true, &head), want);
        }
    }
}
