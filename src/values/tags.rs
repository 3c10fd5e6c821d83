//! The standard tags go-yaml v2 (and so Helm) decodes itself: `!!binary` (Go's base64, the
//! bytes as a string) and `!!timestamp`: the text must parse with one of Go's layouts
//! `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999` or
//! `2006-1-2`, and then stays a string (go-yaml hands timestamps to Helm as their text).

use base64::Engine as _;

/// A `!!binary` scalar as Helm reads it: Go's standard base64 (padding required, line breaks
/// skipped, any other blank refused), then the bytes as a string, where every byte that is
/// not part of valid UTF-8 becomes U+FFFD (as Go's JSON encoder writes it).
pub fn decode_binary(text: &str) -> Result<String, String> {
    use base64::engine::{general_purpose::GeneralPurpose, GeneralPurposeConfig};
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let cleaned: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let bytes = GO_STD.decode(cleaned.as_bytes()).map_err(|_| {
        "a !!binary value is not valid base64 (only line breaks may separate its characters)"
            .to_string()
    })?;
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('\u{fffd}', chunk.invalid().len()));
    }
    Ok(out)
}

/// Whether go-yaml's `parseTimestamp` accepts `s` (Go's `time.Parse` rules: a four-digit
/// year, one- or two-digit month, day, hour, minute and second in range, an optional fraction
/// after `.` or `,`, and with `T`/`t` a zone `Z` or `±hh:mm`).
pub fn is_go_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: u32 = s[..4].parse().unwrap_or(0);
    let mut i = 5;
    // Go's getnum(value, false): one digit, or two when the second is a digit too.
    let num = |i: &mut usize| -> Option<u32> {
        let d = |j: usize| {
            b.get(j)
                .filter(|c| c.is_ascii_digit())
                .map(|c| u32::from(c - b'0'))
        };
        let first = d(*i)?;
        *i += 1;
        Some(match d(*i) {
            Some(second) => {
                *i += 1;
                first * 10 + second
            }
            None => first,
        })
    };
    let lit = |i: &mut usize, c: u8| -> bool {
        let ok = b.get(*i) == Some(&c);
        *i += usize::from(ok);
        ok
    };
    let Some(month) = num(&mut i).filter(|m| (1..=12).contains(m)) else {
        return false;
    };
    if !lit(&mut i, b'-') {
        return false;
    }
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if num(&mut i).is_none_or(|d| d < 1 || d > days) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    let in_range = |v: Option<u32>, max: u32| v.is_some_and(|v| v < max);
    if !(in_range(num(&mut i), 24)
        && lit(&mut i, b':')
        && in_range(num(&mut i), 60)
        && lit(&mut i, b':')
        && in_range(num(&mut i), 60))
    {
        return false;
    }
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if !zoned {
        return i == b.len();
    }
    match &b[i..] {
        [b'Z'] => true,
        [sign, h1, h2, b':', m1, m2] => {
            let two = |a: u8, c: u8| {
                (a.is_ascii_digit() && c.is_ascii_digit())
                    .then(|| u32::from(a - b'0') * 10 + u32::from(c - b'0'))
            };
            matches!(sign, b'+' | b'-')
                && two(*h1, *h2).is_some_and(|h| h <= 24)
                && two(*m1, *m2).is_some_and(|m| m <= 60)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_go_timestamp;

    #[test]
    fn go_layouts() {
        for ok in [
            "2001-12-14",
            "2001-1-2",
            "2000-02-29",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14T21:59:43Z",
            "2001-12-14T1:2:3+24:00",
            "2001-12-14 21:59:43.10",
            "2001-12-14 21:59:43,5",
            "2001-12-14 21:59:43",
        ] {
            assert!(is_go_timestamp(ok), "{ok}");
        }
        for bad in [
            "1",
            "x",
            "01-12-14",
            "2001-13-01",
            "2001-02-29",
            "2001-12-32",
            "2001-12-14T21:59:43",
            "2001-12-14 24:00:00",
            "2001-12-14T21:59:43.Z",
            "2001-12-14T21:59:43+5:00",
            "2001-12-14 21:59:43Z",
            "2001-12-14 ",
            "2001-123-1",
        ] {
            assert!(!is_go_timestamp(bad), "{bad}");
        }
    }
}
