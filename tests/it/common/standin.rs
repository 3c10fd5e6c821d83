//! The loopback stand-in API server (`tests/standin/server.py`) for tests that run the real
//! kubectl: started on 127.0.0.1 with a port chosen by the system, stopped when dropped (its
//! standard input closes) and in any case after two minutes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{python3, root, tool};

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
    /// No OpenAPI document served.
    pub no_openapi: bool,
    /// Accept every connection and never answer.
    pub hang: bool,
    /// Answer server-side apply (PATCH) and create (POST) requests.
    pub accept_writes: bool,
    /// Resources whose server-side apply answers 409 Conflict.
    pub conflict: Vec<&'a str>,
    /// Workloads (`Kind/ns/name`) whose next rollout never becomes ready.
    pub stuck: Vec<&'a str>,
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
    pub fn stuck(mut self, id: &'a str) -> Self {
        self.stuck.push(id);
        self
    }
    pub fn no_eso(mut self) -> Self {
        self.no_eso = true;
        self
    }
    pub fn no_openapi(mut self) -> Self {
        self.no_openapi = true;
        self
    }
    pub fn hang(mut self) -> Self {
        self.hang = true;
        self
    }
    pub fn accept_writes(mut self) -> Self {
        self.accept_writes = true;
        self
    }
    pub fn conflict(mut self, resource: &'a str) -> Self {
        self.conflict.push(resource);
        self
    }
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/standin/fixtures").join(name)
}

/// The real kubectl (`KUBECTL`, `.tools/bin/kubectl` or PATH); see `tool`.
pub fn kubectl() -> PathBuf {
    tool("KUBECTL", "kubectl")
}

impl StandIn {
    /// Starts the stand-in (python3: a test that starts it carries `no_python3` in its
    /// `cfg_attr(..., ignore)`).
    pub fn start(cluster: &Cluster) -> StandIn {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(python3());
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
        for w in &cluster.stuck {
            cmd.arg("--stuck").arg(w);
        }
        if cluster.no_eso {
            cmd.arg("--no-eso");
        }
        if cluster.no_openapi {
            cmd.arg("--no-openapi");
        }
        if cluster.hang {
            cmd.arg("--hang");
        }
        if cluster.accept_writes {
            cmd.arg("--accept-writes");
        }
        for r in &cluster.conflict {
            cmd.arg("--conflict").arg(r);
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
        StandIn { child, port, dir }
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// kubectl's discovery cache, kept out of the user's home.
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Every request served, as logged (one JSON object each: method, path, status, and for
    /// writes content_type, last_applied, kind).
    pub fn log(&self) -> Vec<serde_json::Value> {
        let text =
            std::fs::read_to_string(self.dir.path().join("requests.log")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
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

    /// Every write served (`PATCH`, `POST`...), as logged: `method`, `path`, `status`,
    /// `contentType`, and `body` exactly as kubectl sent it.
    pub fn writes(&self) -> Vec<serde_json::Value> {
        let text =
            std::fs::read_to_string(self.dir.path().join("requests.log")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["method"] != "GET")
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

/// Runs the binary with `args` (empty standard input) and kubectl's cache in `cache`.
pub fn bin(args: &[&str], cache: &Path) -> std::process::Output {
    super::run_env(args, &[("KUBECACHEDIR", cache)])
}

/// Runs `recif-secrets ARGS --kubectl K --kubeconfig KC` against the stand-in `s`.
pub fn against(s: &StandIn, kubectl: &Path, args: &[&str]) -> std::process::Output {
    let kc = s.kubeconfig();
    let mut all: Vec<&str> = args.to_vec();
    all.extend([
        "--kubectl",
        kubectl.to_str().unwrap(),
        "--kubeconfig",
        kc.to_str().unwrap(),
    ]);
    bin(&all, &s.cache_dir())
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
