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

/// How to reach the cluster, as kubectl's own flags (shared by every cluster command).
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
}

impl KubectlArgs {
    /// The flags given on the command line, as they were spelled (for usage errors).
    pub fn given(&self) -> Vec<&'static str> {
        [
            (self.kubectl.is_some(), "--kubectl"),
            (self.context.is_some(), "--context"),
            (self.kubeconfig.is_some(), "--kubeconfig"),
        ]
        .into_iter()
        .filter_map(|(set, flag)| set.then_some(flag))
        .collect()
    }

    pub fn runner(&self) -> Kubectl {
        Kubectl {
            binary: self
                .kubectl
                .clone()
                .unwrap_or_else(|| DEFAULT_KUBECTL.to_string()),
            context: self.context.clone(),
            kubeconfig: self.kubeconfig.clone(),
        }
    }
}

/// A kubectl binary and the cluster it talks to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kubectl {
    pub binary: String,
    pub context: Option<String>,
    pub kubeconfig: Option<String>,
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
    pub fn forward(&self, out: &mut dyn Write, err: &mut dyn Write) {
        let _ = out.write_all(&self.stdout).and_then(|_| out.flush());
        let _ = err.write_all(&self.stderr).and_then(|_| err.flush());
    }

    /// The error for a failed `kubectl <verb>`.
    pub fn failure(&self, verb: &str) -> Error {
        Error::External(match self.code {
            Some(code) => format!("kubectl {verb} failed (exit code {code})"),
            None => format!("kubectl {verb} was killed by a signal"),
        })
    }
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
                "--server-side"
            ]
        );
        assert_eq!(Kubectl::default().args(&["diff"], &[]), ["diff"]);
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
