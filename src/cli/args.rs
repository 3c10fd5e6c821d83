//! The command line (clap). Flags follow Helm and kubectl where they overlap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cluster::KubectlArgs;
pub use crate::encryption::EncryptionArgs;
use crate::values::{SetArg, SetKind, Sources};
use crate::Request;

#[derive(Parser, Debug)]
#[command(
    name = "recif-secrets",
    version,
    about = "Render the Kubernetes credentials objects of the Récif agent platform from Helm-style values",
    long_about = "Render the Kubernetes credentials objects of the Récif agent platform \
(inline Secrets, External Secrets Operator objects, or Workload Identity ServiceAccounts) \
from the same Helm-style values files operators already keep.\n\n\
Example:\n  recif-secrets render -f values-secret.yaml | kubectl apply --server-side --field-manager=recif-secrets -f -"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Parsed once per run: the size of the largest variant does not matter.
///
/// `defer`: a run builds the arguments of its own command only, not every command's (clap
/// builds a command's arguments when it is chosen, or for help, completions and man pages,
/// which call `build`); that was a tenth of a one-team render's instructions. The argument
/// structs carry plain comments, not doc comments: built deferred, a struct's doc comment
/// would replace the command's description (docs/cli.md's test catches it).
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum Command {
    /// Render the manifests (to standard output, a folder, or kubectl apply)
    Render(RenderArgs),
    /// Print the effective merged values (secret-looking values redacted)
    Values(ValuesArgs),
    /// Check the values and everything they would render; exit 1 on any problem
    Validate(ValidateArgs),
    /// Show what applying would change (against a folder, a manifest file or the live
    /// cluster), Secret values masked; exit 0 equal, 4 different
    Diff(DiffArgs),
    /// Check in the cluster, read-only, that the objects the values render exist and work;
    /// exit 0 all good, 4 a check failed, 3 cluster unreachable
    Doctor(DoctorArgs),
    /// Restart, as `kubectl rollout restart` does, exactly the workloads whose pods hold a
    /// Secret key that changed after they started; exit 0 done, 3 cluster unreachable or a
    /// restart refused, 4 plan incomplete, 5 a rollout failed
    #[command(long_about = ROLLOUT_ABOUT)]
    Rollout(RolloutArgs),
    /// Check, without any private key, that a folder written by --output-dir holds only
    /// encrypted Secrets for the expected recipients or certificate; exit 0 ok, 5 a problem
    Verify(VerifyArgs),
    /// Print the JSON Schema of the values (Helm's values.schema.json)
    Schema,
    /// Write values-secret.yaml from the example (mode 0600) and git-ignore it
    Init(InitArgs),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff), or write them all into a folder
    Man(ManArgs),
    /// Print the built-in templates, or copy them into a folder (to start a --templates override)
    Templates(TemplatesArgs),
    /// Argo CD plugin generate step: render the files of RECIF_VALUES in the current folder
    #[command(
        name = "argocd-generate",
        long_about = "The generate step of the Argo CD Config Management Plugin: renders, to \
standard output, the values files named in the plugin parameter RECIF_VALUES \
(ARGOCD_ENV_RECIF_VALUES, whitespace-separated; default values-recif.yaml) with the platform \
namespace RECIF_NAMESPACE (default recif-system). Only relative paths to files inside the \
current folder are accepted."
    )]
    ArgocdGenerate,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The subcommand whose page to print (`render` prints recif-secrets-render(1)); none: the top page
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
    /// Write every page (recif-secrets.1, recif-secrets-render.1, ...) into DIR
    #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
    pub dir: Option<PathBuf>,
    /// Print the reference of every command and flag as Markdown (docs/cli.md) instead
    #[arg(long, conflicts_with_all = ["subcommand", "dir"])]
    pub markdown: bool,
}

#[derive(Args, Debug)]
pub struct TemplatesArgs {
    /// Templates to print (none: list their names)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Copy every built-in template into DIR (never overwriting a file)
    #[arg(long, value_name = "DIR", conflicts_with = "names")]
    pub dir: Option<PathBuf>,
}

// Where values come from, as with `helm template`.
#[derive(Args, Debug, Clone, Default)]
pub struct ValueArgs {
    /// Values file (repeatable, or comma-separated as in Helm; later files win; `-` reads
    /// standard input)
    #[arg(short = 'f', long = "values", value_name = "FILE", value_parser = file_list)]
    pub values: Vec<FileList>,
    /// Set a value: KEY=VAL[,KEY=VAL] (Helm's --set grammar)
    #[arg(long = "set", value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set a string value: KEY=VAL (never converted to a number or boolean)
    #[arg(long = "set-string", value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Set a value from a file's content: KEY=PATH
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set a JSON value: KEY=JSON
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set a literal string value: KEY=VAL (no escapes or commas interpreted in VAL)
    #[arg(long = "set-literal", value_name = "KEY=VAL")]
    pub set_literal: Vec<String>,
    /// Start from the built-in example values (values-secret.yaml.example)
    #[arg(long)]
    pub example: bool,
}

// What the objects are rendered from, as with `helm template`: the values, the platform
// namespace, the template overrides (every command that renders: `render`, `validate`,
// `diff`, `doctor`, `rollout`).
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    #[command(flatten)]
    pub values: ValueArgs,
    /// The platform namespace (as with helm -n)
    #[arg(short = 'n', long, default_value = crate::DEFAULT_NAMESPACE)]
    pub namespace: String,
    /// Folder of templates overriding the built-in ones file by file
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

impl InputArgs {
    /// What the pipeline renders (`recif_secrets::render`).
    pub fn request(&self) -> Request {
        Request {
            sources: self.values.sources(),
            namespace: self.namespace.clone(),
            templates: self.templates.clone(),
        }
    }
}

/// Moves an argument in the help (and man page) to just after another, leaving where it is
/// parsed and completed alone: a flattened struct adds its arguments together, where the
/// help may want one of them elsewhere.
trait HelpOrder {
    fn show_after(self, id: &str, after: &str) -> Self;
}

impl HelpOrder for clap::Command {
    fn show_after(self, id: &str, after: &str) -> Self {
        let Some(at) = self
            .get_arguments()
            .find(|a| a.get_id() == after)
            .map(clap::Arg::get_display_order)
        else {
            return self;
        };
        self.mut_args(|a| {
            let order = a.get_display_order();
            if a.get_id() == id {
                a.display_order(at + 1)
            } else if !a.is_positional() && order > at {
                a.display_order(order + 1)
            } else {
                a
            }
        })
    }
}

/// The file names of one `-f` argument (Helm's `--values` is a comma-separated string slice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileList(pub Vec<String>);

fn file_list(arg: &str) -> Result<FileList, String> {
    crate::values::split_values_arg(arg).map(FileList)
}

impl ValueArgs {
    pub fn sources(&self) -> Sources {
        let mut sets = Vec::new();
        for (kind, args) in [
            (SetKind::Json, &self.set_json),
            (SetKind::Set, &self.set),
            (SetKind::String, &self.set_string),
            (SetKind::File, &self.set_file),
            (SetKind::Literal, &self.set_literal),
        ] {
            sets.extend(args.iter().map(|a| SetArg {
                kind,
                arg: a.clone(),
            }));
        }
        Sources {
            files: self.values.iter().flat_map(|l| l.0.clone()).collect(),
            sets,
            example: self.example,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Yaml,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    Client,
    Server,
}

#[derive(Args, Debug)]
// `--templates` stays in `render --help` where it was before the trio became one struct:
// after the restart flags.
#[command(show_after("templates", "restart_mounted"))]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: a YAML stream, or one v1 List as JSON
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Yaml)]
    pub output: Format,
    /// Write one file per object and a kustomization.yaml into DIR (GitOps), all or nothing;
    /// a second run into DIR meanwhile fails (exit 3); not with -o json
    #[arg(long, value_name = "DIR", conflicts_with = "apply")]
    pub output_dir: Option<PathBuf>,
    /// Pipe the manifests into `kubectl apply --server-side --field-manager=recif-secrets -f -`
    #[arg(long)]
    pub apply: bool,
    /// How to reach the cluster for --apply (`--kubectl`, `--context`, `--kubeconfig`)
    #[command(flatten)]
    pub cluster: KubectlArgs,
    /// Passed to kubectl apply --dry-run
    #[arg(long, value_enum, requires = "apply")]
    pub dry_run: Option<DryRun>,
    /// Apply server-side (kubectl apply --server-side), the default: kubectl then keeps no
    /// copy of the Secret in the last-applied-configuration annotation; --server-side=false
    /// applies client-side [default: true]
    #[arg(long, requires = "apply", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub server_side: Option<bool>,
    /// The field manager of the apply (kubectl --field-manager) [default: recif-secrets]
    #[arg(long, requires = "apply", value_name = "NAME")]
    pub field_manager: Option<String>,
    /// Take over fields another field manager owns (kubectl --force-conflicts; server-side)
    #[arg(long, requires = "apply")]
    pub force_conflicts: bool,
    /// After applying, restart exactly the workloads reading a Secret key whose value this
    /// apply changed (read before and after, compared in memory), as `kubectl rollout restart`
    #[arg(long, requires = "apply")]
    pub restart: bool,
    #[command(flatten)]
    pub restarts: RestartArgs,
    /// Only output objects of this KIND/NAME (repeatable), e.g. secret/agent-env; with
    /// --output-dir only their files are written, the others are left alone
    #[arg(long, value_name = "KIND/NAME")]
    pub show_only: Vec<String>,
    /// Treat every warning (an unknown key, a misplaced key...) as an error (exit 1)
    #[arg(long)]
    pub strict: bool,
    /// No progress display (it shows only on a terminal, for work of more than a second)
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[command(flatten)]
    pub encryption: EncryptionArgs,
    /// Print the gcloud / aws / az commands that create the Workload Identity bindings
    /// (workloadIdentity.bindings) instead of the objects, for clusters without Config
    /// Connector, ACK or Azure Service Operator
    #[arg(long, conflicts_with_all = ["apply", "output_dir", "show_only"])]
    pub print_commands: bool,
}

#[derive(Args, Debug)]
pub struct ValuesArgs {
    #[command(flatten)]
    pub values: ValueArgs,
    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Yaml)]
    pub output: Format,
    /// Print the built-in defaults alone
    #[arg(long)]
    pub defaults: bool,
    /// Show secret values instead of <redacted>
    #[arg(long)]
    pub reveal: bool,
    /// Print the reference of every values key (Markdown, as docs/values.md)
    #[arg(long, conflicts_with_all = ["defaults", "reveal"])]
    pub reference: bool,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Treat every warning (an unknown key, a misplaced key...) as an error (exit 1)
    #[arg(long)]
    pub strict: bool,
    /// Fail (exit 1) when a values file holds secret values that are not example
    /// placeholders: for files about to be committed (the pre-commit hook uses it)
    #[arg(long)]
    pub forbid_secrets: bool,
    /// Validate these values files as layers over their folder's values.yaml (the pre-commit
    /// hook): each other file is checked as `-f values.yaml -f FILE`; a values.yaml given
    /// alone is checked with each of its folder's values*.yaml files (or alone)
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "values")]
    pub layers: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Compare with a folder written by --output-dir, or a manifest file (offline)
    #[arg(long, value_name = "DIR|FILE")]
    pub against: Option<PathBuf>,
    /// Print only a one-line summary; the exit code tells
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// With --against: the encryption the folder was written with, to compare encrypted
    /// Secrets through their fingerprints
    #[command(flatten)]
    pub encryption: EncryptionArgs,
    /// How to reach the cluster (`--kubectl`, `--context`, `--kubeconfig`)
    #[command(flatten)]
    pub cluster: KubectlArgs,
}

/// Output of `doctor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: a checklist, or JSON for machines
    #[arg(short = 'o', long = "output", value_enum, default_value_t = DoctorFormat::Text)]
    pub output: DoctorFormat,
    /// How to reach the cluster (`--kubectl`, `--context`, `--kubeconfig`)
    #[command(flatten)]
    pub cluster: KubectlArgs,
}

const ROLLOUT_ABOUT: &str = "Restart, as `kubectl rollout restart` does (the \
kubectl.kubernetes.io/restartedAt annotation on the pod template), exactly the Deployments, \
StatefulSets and DaemonSets of the namespaces the values target whose pod templates read one \
of the platform's Secrets (envFrom, env secretKeyRef, secret or projected volumes mounted with \
subPath) and whose pods started before that Secret last changed. Environment variables are \
read once, at container start: nothing else brings a rotated key to a running agent. Mounted \
files are refreshed in place by the kubelet: such workloads are listed, and restarted only with \
--restart-mounted. CronJobs and Argo Rollouts are reported, never touched. One workload at a \
time; with --wait, each rollout must finish before the next starts, and the first that does not \
stops the run.\n\nExit codes: 0 done (or nothing to do), 1 invalid values, 2 usage, 3 the \
cluster cannot be reached or a restart was refused (RBAC, a paused Deployment), 4 the plan is \
incomplete (a Secret or workloads could not be read, or a restart is blocked by a missing key), \
5 a rollout did not finish (--wait).";

/// Output of `rollout` (and of the restarts of `render --apply --restart`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RolloutFormat {
    Text,
    Json,
}

// How restarts are made (`rollout`, `render --apply --restart`).
#[derive(Args, Debug, Clone)]
pub struct RestartArgs {
    /// Wait for each rollout to finish (kubectl rollout status) before the next; stop at the
    /// first that does not (exit 5)
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits for each rollout (a Go duration: 90s, 5m)
    #[arg(long, value_name = "DURATION", default_value = "5m", requires = "wait")]
    pub timeout: String,
    /// Also restart workloads that read a changed key from a mounted file only (the kubelet
    /// refreshes those files in place, but many libraries read them once)
    #[arg(long)]
    pub restart_mounted: bool,
}

#[derive(Args, Debug)]
pub struct RolloutArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print the plan (workload, namespace, the keys and why) and restart nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub restarts: RestartArgs,
    /// Output format: text, or JSON for machines (printed at the end)
    #[arg(short = 'o', long = "output", value_enum, default_value_t = RolloutFormat::Text)]
    pub output: RolloutFormat,
    /// How to reach the cluster (`--kubectl`, `--context`, `--kubeconfig`)
    #[command(flatten)]
    pub cluster: KubectlArgs,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Folder to write values-secret.yaml into
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// The flags whose arguments carry values that may be secret (`--set-file` carries a path).
const VALUE_FLAGS: &[&str] = &["--set", "--set-string", "--set-json", "--set-literal"];

/// Text of the command line that may be part of a secret value, for usage errors: after the
/// first `=` of a value flag's argument (the whole argument when it has no `=`), and every
/// word that follows such an argument without being a flag (`--set k= p4ss`).
pub fn value_texts(args: &[std::ffi::OsString]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    let after_eq = |a: &str| match a.split_once('=') {
        Some((_, v)) => v.to_string(),
        None => a.to_string(),
    };
    while i < args.len() {
        let a = args[i].to_string_lossy();
        let inline = VALUE_FLAGS
            .iter()
            .find_map(|f| a.strip_prefix(f).and_then(|r| r.strip_prefix('=')));
        let value = if let Some(v) = inline {
            i += 1;
            Some(v.to_string())
        } else if VALUE_FLAGS.contains(&a.as_ref()) {
            i += 2;
            args.get(i - 1).map(|v| v.to_string_lossy().into_owned())
        } else {
            i += 1;
            None
        };
        let Some(value) = value else {
            continue;
        };
        out.push(after_eq(&value));
        // Words split off by the shell (`--set k= p4ss`, `--set k p4ss`).
        while let Some(next) = args.get(i) {
            let n = next.to_string_lossy();
            if n.starts_with('-') {
                break;
            }
            out.push(n.into_owned());
            i += 1;
        }
    }
    out
}

// `recif-secrets verify DIR` (a CI gate without plaintext values).
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The folder written by `render --output-dir`
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// What the folder's Secrets must be encrypted with: exactly these age recipients
    /// (--sops-age, --sops-age-recipients-file), or this certificate and scope (--seal-cert,
    /// --seal-scope); and the key that checks each file's fingerprint line (--fingerprint-key)
    #[command(flatten)]
    pub encryption: EncryptionArgs,
    /// Do not check the fingerprint lines (otherwise a folder holding some needs --fingerprint-key)
    #[arg(long, conflicts_with = "fingerprint_key")]
    pub skip_fingerprints: bool,
    /// Output format: one line per problem, or JSON for machines
    #[arg(short = 'o', long = "output", value_enum, default_value_t = DoctorFormat::Text)]
    pub output: DoctorFormat,
}
