//! `recif-secrets values`: the effective merged values, secret values redacted.

use std::io::Read;

use super::ExitStatus;
use crate::args::{Format, ValuesArgs};
use crate::{deliver, values, Error};

pub(super) fn run(args: ValuesArgs, stdin: &mut dyn Read) -> Result<ExitStatus, Error> {
    if args.defaults && args.output == Format::Yaml {
        // The defaults file itself, with its comments (it holds no secret).
        deliver::to_stdout(values::DEFAULTS_YAML)?;
        return Ok(ExitStatus::Success);
    }
    let mut node = if args.defaults {
        values::defaults().clone()
    } else {
        values::effective(&args.values.sources(), stdin).map_err(Error::Invalid)?
    };
    if let Some(d) = crate::config::manifest_given_as_values(&node) {
        // Its stringData would be printed as values, unredacted.
        return Err(Error::Invalid(crate::diag::Diagnostics { items: vec![d] }));
    }
    if !args.reveal {
        values::secrets::redact(&mut node);
    }
    let json = node.to_json();
    let text = match args.output {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json).expect("JSON serializes");
            s.push('\n');
            s
        }
        Format::Yaml => {
            let mut s = String::new();
            crate::yamlfmt::emit_document(&mut s, &json);
            s
        }
    };
    deliver::to_stdout(&text)?;
    Ok(ExitStatus::Success)
}
