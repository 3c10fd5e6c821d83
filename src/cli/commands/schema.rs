//! `recif-secrets schema`: the JSON Schema of the values.

use super::ExitStatus;
use crate::{deliver, Error};

pub(super) fn run() -> Result<ExitStatus, Error> {
    deliver::to_stdout(&crate::schema::schema_json())?;
    Ok(ExitStatus::Success)
}
