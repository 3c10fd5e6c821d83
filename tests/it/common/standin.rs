//! The loopback stand-in API server (`tests/standin/server.py`) for tests that run the real
//! kubectl: started on 127.0.0.1 with a port chosen by the system, stopped when dropped (its
//! standard input closes) and in any case after two minutes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{root, skip, tool};

pub struct StandIn {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

/// What the stand-in serves: fixture files (in `tests/standin/fixtures`, later ones replacing
/// objects of the same kind, namespace and name), objects to leave out (`Kind/ns/name`), and
/// resources answering 403 (`secrets` or `secrets@namespace`).
#[derive(Default, Clone)]
pub struct Cluster<'a> {
    pub fixtures: Vec<&'a str>,
    pub without: Vec<&'a str>,
    pub forbid: Vec<&'a str>,
    /// No External Secrets Operator in the cluster.
    pub no_eso: bool,
}

impl<'a> Cluster<'a> {
    pub fn new(fixtures: &[&'a str]) -> Self {
        Cluster {
            fixtures: fixtures.to_vec(),
            ..Default::default()
        }
    }
    pub fn without(mut self, id: &'a str) -> Self {
        self.without.push(id);
        self
    }
    pub fn forbid(mut self, resource: &'a str) -> Self {
        self.forbid.push(resource);
        self
    }
    pub fn no_eso(mut self) -> Self {
        self.no_eso = true;
        self
    }
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/standin/fixtures").join(name)
}

/// The real kubectl (`.tools/bin/kubectl`, `KUBECTL`, or PATH); see `tool`.
pub fn kubectl() -> Option<PathBuf> {
    tool("KUBECTL", "kubectl")
}

impl StandIn {
    /// Starts the stand-in; `None` (after `skip`) when python3 is missing.
    pub fn start(cluster: &Cluster) -> Option<StandIn> {
        if Command::new("python3").arg("--version").output().is_err() {
            skip("python3", "install python3, or run scripts/fetch-tools.sh");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("python3");
        cmd.arg(root().join("tests/standin/server.py"))
            .arg("--kubeconfig")
            .arg(dir.path().join("kubeconfig"))
            .arg("--log")
            .arg(dir.path().join("requests.log"));
        for f in &cluster.fixtures {
            cmd.arg("--fixtures").arg(fixture(f));
        }
        for w in &cluster.without {
            cmd.arg("--without").arg(w);
        }
        for f in &cluster.forbid {
            cmd.arg("--forbid").arg(f);
        }
        if cluster.no_eso {
            cmd.arg("--no-eso");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the stand-in did not start: {line:?}"));
        Some(StandIn { child, port, dir })
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// kubectl's discovery cache, kept out of the user's home.
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Every request served: `(method, path, status)`.
    pub fn requests(&self) -> Vec<(String, String, u16)> {
        let text =
            std::fs::read_to_string(self.dir.path().join("requests.log")).unwrap_or_default();
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["method"].as_str().unwrap().to_string(),
                    v["path"].as_str().unwrap().to_string(),
                    v["status"].as_u64().unwrap() as u16,
                )
            })
            .collect()
    }

    /// Asserts that only GET requests reached the server.
    pub fn assert_read_only(&self) {
        let requests = self.requests();
        assert!(!requests.is_empty(), "kubectl did not reach the stand-in");
        let writes: Vec<_> = requests.iter().filter(|r| r.0 != "GET").collect();
        assert!(writes.is_empty(), "requests that write: {writes:?}");
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        drop(self.child.stdin.take()); // the server stops when its standard input closes
        let _ = self.child.wait();
    }
}

/// A kubeconfig pointing at a port nothing listens on.
pub fn unreachable_kubeconfig(dir: &Path) -> PathBuf {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // bound, then closed when the listener drops
    let path = dir.join("unreachable-kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: http://127.0.0.1:{port}\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\ncurrent-context: gone\n"
        ),
    )
    .unwrap();
    path
}
