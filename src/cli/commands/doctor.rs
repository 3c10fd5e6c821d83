//! `recif-secrets doctor`: the usual ways a setup goes wrong, checked for exactly the objects the
//! values render ([`crate::doctor`]), read with `kubectl get -o json` (never written). A
//! checklist on standard output (or `-o json`); exit 0 when every check is ok, 4
//! ([`ExitStatus::ChecksFailed`]) when one is a problem or could not be checked, 3 when the
//! cluster cannot be reached.

use std::io::{Read, Write};

use super::{warnings, ExitStatus};
use crate::args::{DoctorArgs, DoctorFormat};
use crate::doctor::{self, Status};
use crate::{cluster::read as live, deliver, Error};

pub(super) fn run(
    args: DoctorArgs,
    stdin: &mut dyn Read,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let rendered = warnings::render_json(&args.input, stdin, err)?;
    let plan = doctor::plan(&rendered);
    let k = args.cluster.runner();
    let live = live::read(&mut k.getter(), &plan)?;
    let checks = doctor::check(&rendered, &live);
    deliver::to_stdout(&match args.output {
        DoctorFormat::Text => doctor::text(&checks),
        DoctorFormat::Json => doctor::json(&checks),
    })?;
    Ok(if checks.iter().all(|c| c.status == Status::Ok) {
        ExitStatus::Success
    } else {
        ExitStatus::ChecksFailed
    })
}
