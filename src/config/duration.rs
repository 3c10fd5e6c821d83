//! Go's `time.ParseDuration` grammar, as ESO reads `refreshInterval`, without negatives.
//! Hand-written: Rust duration crates (humantime, ...) accept a different grammar than Go's.

/// Checks a Go duration (`1h`, `30m`, `1h30m`, `1.5h`, `300ms`, `0`). Negative durations,
/// spaces, unknown units and missing units are refused. Returns a reason when invalid.
pub fn check_go_duration(s: &str) -> Result<(), &'static str> {
    if s == "0" {
        return Ok(());
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.starts_with('-') {
        return Err("a negative interval is not allowed");
    }
    if s.is_empty() {
        return Err("it is empty");
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut total: f64 = 0.0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int_digits = i - start;
        let mut frac_digits = 0;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let f = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            frac_digits = i - f;
        }
        if int_digits == 0 && frac_digits == 0 {
            return Err("expected a number before each unit");
        }
        let number: f64 = s[start..i].parse().unwrap_or(0.0);
        let ustart = i;
        while i < b.len() && !b[i].is_ascii_digit() && b[i] != b'.' {
            i += 1;
        }
        let unit = &s[ustart..i];
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err("a unit is missing (ns, us, ms, s, m, h)"),
            _ => return Err("unknown unit (expected ns, us, ms, s, m or h)"),
        };
        total += number * scale;
    }
    // Go refuses durations beyond int64 nanoseconds (about 292 years).
    if total * 1e9 > i64::MAX as f64 {
        return Err("it is longer than Go's largest duration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_go_duration as d;

    #[test]
    fn accepts_go_durations() {
        for ok in [
            "0",
            "1h",
            "30m",
            "1h30m",
            "15s",
            "1.5h",
            "300ms",
            "2h45m30.5s",
            "10us",
            "1µs",
            "+5m",
            ".5s",
            "5.s",
        ] {
            assert!(d(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_the_rest() {
        for bad in [
            "1x", "-1h", "1 h", "", "h", "1", "1h ", " 1h", "1d", "1H", ".s", "1h-5m", "3000000h",
        ] {
            assert!(d(bad).is_err(), "{bad:?}");
        }
    }
}
