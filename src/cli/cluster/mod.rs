//! The one way this tool talks to a cluster: the `kubectl` binary. [`KubectlArgs`] is the
//! clap flags group every cluster command flattens (`--kubectl`, `--context`,
//! `--kubeconfig`); [`Kubectl`] runs one kubectl command, feeds its standard input and
//! returns what it printed. Command layer only: the library never starts kubectl.

pub mod read;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use clap::Args;

use crate::Error;

/// The kubectl binary used when `--kubectl` is not given.
pub const DEFAULT_KUBECTL: &str = "kubectl";

// How to reach the cluster, as kubectl's own flags (shared by every cluster command).
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct KubectlArgs {
    /// The kubectl binary [default: kubectl]
    #[arg(long = "kubectl", value_name = "PATH")]
    pub kubectl: Option<String>,
    /// kubeconfig context (kubectl --context)
    #[arg(long)]
    pub context: Option<String>,
    /// kubeconfig file (kubectl --kubeconfig)
    #[arg(long)]
    pub kubeconfig: Option<String>,
    /// The other connection settings of kubectl (and of helm, which hands them to plugins).
    #[command(flatten)]
    pub connection: Connection,
    /// How long each request to the API server may take before kubectl gives up (exit 3):
    /// a number of seconds or a duration such as 1m30s (kubectl --request-timeout)
    /// [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = request_timeout)]
    pub request_timeout: Option<String>,
}

/// The request timeout of every kubectl call when `--request-timeout` is not given: an API
/// server that accepts and never answers must not hang `doctor` or `diff`.
pub const DEFAULT_REQUEST_TIMEOUT: &str = "10s";

/// `--request-timeout`: a positive number of seconds, or a duration of Go's syntax with
/// units (`500ms`, `1m30s`), as kubectl takes it. `0` (no timeout) is refused: that is the
/// hang this flag exists to prevent.
fn request_timeout(v: &str) -> Result<String, String> {
    let bad = || {
        format!("expected a number of seconds or a duration such as 30s, 2m or 1m30s, above zero; got {v:?}")
    };
    let units = ["ns", "us", "µs", "ms", "s", "m", "h"];
    let mut rest = v;
    let mut positive = false;
    if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() {
        return if v.bytes().any(|b| b != b'0') {
            Ok(v.to_string())
        } else {
            Err(bad())
        };
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(digits);
        if number.is_empty() || number.parse::<f64>().is_err() {
            return Err(bad());
        }
        positive |= number.parse::<f64>().is_ok_and(|n| n > 0.0);
        let Some(unit) = units
            .iter()
            .filter(|u| tail.starts_with(**u))
            .max_by_key(|u| u.len())
        else {
            return Err(bad());
        };
        rest = &tail[unit.len()..];
    }
    if positive {
        Ok(v.to_string())
    } else {
        Err(bad())
    }
}

// kubectl's connection flags beyond the kubeconfig and its context, under kubectl's names;
// each is passed to every kubectl call as given (helm's `--kube-apiserver`, `--kube-token`,
// `--kube-as-user`, `--kube-as-group`, `--kube-ca-file`, `--kube-insecure-skip-tls-verify`,
// `--kube-tls-server-name` become these in the Helm plugin).
#[derive(Args, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// The API server's address (kubectl --server)
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Bearer token (kubectl --token); never printed
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// User to impersonate (kubectl --as)
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,
    /// Group to impersonate (kubectl --as-group), repeatable
    #[arg(long = "as-group", value_name = "GROUP")]
    pub as_group: Vec<String>,
    /// Certificate authority file (kubectl --certificate-authority)
    #[arg(long, value_name = "FILE")]
    pub certificate_authority: Option<String>,
    /// Do not check the server's certificate (kubectl --insecure-skip-tls-verify)
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,
    /// Server name for the certificate check (kubectl --tls-server-name)
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
}

/// The token is never shown, not even in a debug print.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("server", &self.server)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("as_user", &self.as_user)
            .field("as_group", &self.as_group)
            .field("certificate_authority", &self.certificate_authority)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("tls_server_name", &self.tls_server_name)
            .finish()
    }
}

impl Connection {
    /// The flags given, as spelled, and the kubectl arguments they become.
    fn flags(&self) -> Vec<(&'static str, Option<String>)> {
        let valued = [
            ("--server", &self.server),
            ("--token", &self.token),
            ("--as", &self.as_user),
            ("--certificate-authority", &self.certificate_authority),
            ("--tls-server-name", &self.tls_server_name),
        ];
        let mut out: Vec<(&'static str, Option<String>)> = valued
            .into_iter()
            .filter_map(|(flag, v)| v.clone().map(|v| (flag, Some(v))))
            .collect();
        out.extend(
            self.as_group
                .iter()
                .map(|g| ("--as-group", Some(g.clone()))),
        );
        if self.insecure_skip_tls_verify {
            out.push(("--insecure-skip-tls-verify", None));
        }
        out
    }
}

impl KubectlArgs {
    /// The flags given on the command line, as they were spelled (for usage errors).
    pub fn given(&self) -> Vec<&'static str> {
        [
            (self.kubectl.is_some(), "--kubectl"),
            (self.context.is_some(), "--context"),
            (self.kubeconfig.is_some(), "--kubeconfig"),
            (self.request_timeout.is_some(), "--request-timeout"),
        ]
        .into_iter()
        .filter_map(|(set, flag)| set.then_some(flag))
        .chain(self.connection.flags().into_iter().map(|(flag, _)| flag))
        .fold(Vec::new(), |mut seen, flag| {
            if !seen.contains(&flag) {
                seen.push(flag);
            }
            seen
        })
    }

    pub fn runner(&self) -> Kubectl {
        Kubectl {
            binary: self
                .kubectl
                .clone()
                .unwrap_or_else(|| DEFAULT_KUBECTL.to_string()),
            context: self.context.clone(),
            kubeconfig: self.kubeconfig.clone(),
            connection: self.connection.clone(),
            request_timeout: self
                .request_timeout
                .clone()
                .unwrap_or_else(|| DEFAULT_REQUEST_TIMEOUT.to_string()),
        }
    }
}

/// A kubectl binary and the cluster it talks to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kubectl {
    pub binary: String,
    pub context: Option<String>,
    pub kubeconfig: Option<String>,
    pub connection: Connection,
    /// kubectl's `--request-timeout`, on every call.
    pub request_timeout: String,
}

impl Default for Kubectl {
    fn default() -> Self {
        KubectlArgs::default().runner()
    }
}

/// What kubectl reads on its standard input: a writer of the bytes.
pub type Input<'a> = &'a mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>;

/// What a finished kubectl printed, and how it ended.
#[derive(Debug)]
pub struct Captured {
    /// kubectl's exit code; `None` when a signal killed it.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Captured {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Shows kubectl's output as if it had written to ours (standard output, then standard
    /// error). A closed pipe is not an error.
    /// kubectl's advice to use a kubectl flag our commands do not offer is left out (see
    /// [`without_foreign_advice`]).
    pub fn forward(&self, out: &mut dyn Write, err: &mut dyn Write) {
        let _ = out.write_all(&self.stdout).and_then(|_| out.flush());
        let stderr = without_foreign_advice(&self.stderr);
        let _ = err.write_all(&stderr).and_then(|_| err.flush());
    }

    /// The error for a failed `kubectl <verb>`.
    pub fn failure(&self, verb: &str) -> Error {
        Error::External(match self.code {
            Some(code) => format!("kubectl {verb} failed (exit code {code})"),
            None => format!("kubectl {verb} was killed by a signal"),
        })
    }
}

/// Advice kubectl prints that names a kubectl flag which `recif-secrets` does not pass on, so
/// that a user could not follow it through our command. `--validate=false`: kubectl's
/// client-side validation needs the API server's OpenAPI schema; our objects were already
/// checked against theirs before kubectl started, and turning kubectl's check off is not
/// offered.
const FOREIGN_ADVICE: &[&str] =
    &["; if you choose to ignore these errors, turn validation off with --validate=false"];

/// `stderr` without the [`FOREIGN_ADVICE`] in it.
pub fn without_foreign_advice(stderr: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let text = String::from_utf8_lossy(stderr);
    if !FOREIGN_ADVICE.iter().any(|a| text.contains(a)) {
        return std::borrow::Cow::Borrowed(stderr);
    }
    let mut text = text.into_owned();
    for a in FOREIGN_ADVICE {
        text = text.replace(a, "");
    }
    std::borrow::Cow::Owned(text.into_bytes())
}

impl Kubectl {
    /// Runs `kubectl get ...` (the cluster flags, then the arguments given): what
    /// [`read`]'s functions take, for every command that reads the cluster.
    pub fn getter(&self) -> impl FnMut(&[String]) -> Result<Captured, Error> + '_ {
        move |args: &[String]| Ok(self.run(&self.args(&[], args), None)?.0)
    }

    /// The full argument list: the verb and its arguments, the cluster flags, then `extra`.
    pub fn args(&self, verb: &[&str], extra: &[String]) -> Vec<String> {
        let mut args: Vec<String> = verb.iter().map(|s| s.to_string()).collect();
        if let Some(c) = &self.context {
            args.push(format!("--context={c}"));
        }
        if let Some(k) = &self.kubeconfig {
            args.push(format!("--kubeconfig={k}"));
        }
        args.push(format!("--request-timeout={}", self.request_timeout));
        for (flag, value) in self.connection.flags() {
            args.push(match value {
                Some(v) => format!("{flag}={v}"),
                None => flag.to_string(),
            });
        }
        args.extend(extra.iter().cloned());
        args
    }

    /// Runs kubectl with `args`, writing `input` (if any) to its standard input while its
    /// output is read, so that neither side blocks. A kubectl that cannot be started is an
    /// error; its exit code is the caller's to judge (`kubectl diff` exits 1 on differences).
    /// A failure to write the input is reported after kubectl's own status.
    pub fn run(
        &self,
        args: &[String],
        input: Option<Input<'_>>,
    ) -> Result<(Captured, std::io::Result<()>), Error> {
        let mut child = Command::new(&self.binary)
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::External(format!(
                    "cannot run {}: {}; install kubectl or pass --kubectl PATH",
                    self.binary,
                    match e.kind() {
                        std::io::ErrorKind::NotFound => "not found".to_string(),
                        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                        _ => e.to_string(),
                    }
                ))
            })?;
        let (stdin, mut stdout, mut stderr) = (
            child.stdin.take(),
            child.stdout.take().expect("piped"),
            child.stderr.take().expect("piped"),
        );
        let (write_result, out, err) = std::thread::scope(|s| {
            let out = s.spawn(move || {
                let mut buf = Vec::new();
                stdout.read_to_end(&mut buf).map(|_| buf)
            });
            let err = s.spawn(move || {
                let mut buf = Vec::new();
                stderr.read_to_end(&mut buf).map(|_| buf)
            });
            let write_result = match (stdin, input) {
                (Some(stdin), Some(write)) => {
                    let mut w = std::io::BufWriter::new(stdin);
                    write(&mut w).and_then(|_| w.flush())
                    // `w` drops here: kubectl sees the end of its input.
                }
                _ => Ok(()),
            };
            (
                write_result,
                out.join().expect("reader thread"),
                err.join().expect("reader thread"),
            )
        });
        let status = child
            .wait()
            .map_err(|e| Error::External(format!("{} did not finish: {e}", self.binary)))?;
        let read = |r: std::io::Result<Vec<u8>>| {
            r.map_err(|e| Error::External(format!("cannot read the output of kubectl: {e}")))
        };
        Ok((
            Captured {
                code: status.code(),
                stdout: read(out)?,
                stderr: read(err)?,
            },
            write_result,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_flags_follow_the_verb() {
        let k = KubectlArgs {
            kubectl: None,
            context: Some("prod".into()),
            kubeconfig: Some("/kc".into()),
            ..KubectlArgs::default()
        }
        .runner();
        assert_eq!(k.binary, "kubectl");
        assert_eq!(
            k.args(&["apply", "-f", "-"], &["--server-side".into()]),
            [
                "apply",
                "-f",
                "-",
                "--context=prod",
                "--kubeconfig=/kc",
                "--request-timeout=10s",
                "--server-side"
            ]
        );
        assert_eq!(
            Kubectl::default().args(&["diff"], &[]),
            ["diff", "--request-timeout=10s"]
        );
    }

    #[test]
    fn request_timeouts_are_kubectl_durations_above_zero() {
        for ok in ["30", "30s", "1m30s", "500ms", "1.5h", "2m"] {
            assert_eq!(request_timeout(ok).as_deref(), Ok(ok), "{ok}");
        }
        for bad in ["", "0", "0s", "-1s", "s", "30x", "1m30", "abc", "1 s"] {
            assert!(request_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn output_is_captured_and_input_fed() {
        let k = Kubectl {
            binary: "sh".into(),
            ..Kubectl::default()
        };
        let script = "cat; echo oops >&2; exit 4".to_string();
        let mut input = |w: &mut dyn Write| w.write_all(b"hello\n");
        let (c, wrote) = k.run(&["-c".into(), script], Some(&mut input)).unwrap();
        assert!(wrote.is_ok());
        assert_eq!(c.stdout, b"hello\n");
        assert_eq!(c.stderr, b"oops\n");
        assert_eq!(c.code, Some(4));
        assert!(!c.success());
        assert_eq!(
            c.failure("diff").to_string(),
            "kubectl diff failed (exit code 4)"
        );
    }

    #[test]
    fn a_missing_binary_is_an_external_error() {
        let k = Kubectl {
            binary: "/nonexistent/kubectl".into(),
            ..Kubectl::default()
        };
        let e = k.run(&[], None).unwrap_err();
        assert!(e.to_string().contains("not found"), "{e}");
    }
}
