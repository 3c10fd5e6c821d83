//! The YAML event stream of libyaml, through `unsafe-libyaml` (its line-by-line Rust
//! translation, already in our tree under `serde_yaml`).
//!
//! Why libyaml: go-yaml, which Helm reads values with (through `sigs.k8s.io/yaml`), is a port
//! of libyaml's scanner and parser. Using the same algorithm is what makes the corner cases
//! agree: U+0085 (NEL), U+2028 and U+2029 as line breaks (`is_break` and `read_line` in both),
//! where a tab may separate tokens (`scan_to_next_token`: not at the start of a line, after
//! `-`, `?` or a block `:` that starts a value), flow collections that ignore indentation,
//! empty block scalars at the end of the input, and the reader's refusal of control
//! characters.
//!
//! This module is the only `unsafe` code of the crate: it owns one parser, feeds it one
//! borrowed string, and copies every event out before the next call.

use std::marker::PhantomData;
use std::mem::MaybeUninit;

#[allow(clippy::unsafe_removed_from_name)] // every use is inside an `unsafe` block already
use unsafe_libyaml as sys;

/// A position: 0-based line and column (in characters), as libyaml counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    pub line: usize,
    pub col: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, PartialEq)]
pub enum Event {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias(String),
    Scalar {
        value: String,
        style: Style,
        anchor: Option<String>,
        /// The resolved tag: `tag:yaml.org,2002:str` for `!!str`, `!foo` for a local tag.
        tag: Option<String>,
    },
    SequenceStart {
        anchor: Option<String>,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<String>,
    },
    MappingEnd,
}

/// libyaml's complaint: a fixed text (never a piece of the input) and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub mark: Mark,
    pub problem: String,
    pub context: Option<String>,
}

pub struct Parser<'input> {
    /// Boxed: libyaml keeps a pointer to the parser itself (its read handler's data).
    sys: Box<MaybeUninit<sys::yaml_parser_t>>,
    done: bool,
    _input: PhantomData<&'input str>,
}

impl<'input> Parser<'input> {
    pub fn new(input: &'input str) -> Parser<'input> {
        let mut sys = Box::new(MaybeUninit::<sys::yaml_parser_t>::uninit());
        let parser = sys.as_mut_ptr();
        // SAFETY: `parser` points to memory we own; initialize zeroes it and allocates the
        // buffers. The input outlives the parser (the 'input lifetime), and the box keeps
        // the parser at one address for as long as libyaml holds a pointer to it.
        unsafe {
            if sys::yaml_parser_initialize(parser).fail {
                panic!("libyaml could not allocate a parser");
            }
            sys::yaml_parser_set_encoding(parser, sys::YAML_UTF8_ENCODING);
            sys::yaml_parser_set_input_string(parser, input.as_ptr(), input.len() as _);
        }
        Parser {
            sys,
            done: false,
            _input: PhantomData,
        }
    }

    /// The next event and where it starts, or the syntax error.
    pub fn next_event(&mut self) -> Result<(Event, Mark), ParseError> {
        if self.done {
            return Ok((Event::StreamEnd, Mark::default()));
        }
        let parser = self.sys.as_mut_ptr();
        let mut event = MaybeUninit::<sys::yaml_event_t>::uninit();
        // SAFETY: the parser was initialized in `new`; a successful parse fills `event`,
        // which is copied out and then freed exactly once.
        unsafe {
            if sys::yaml_parser_parse(parser, event.as_mut_ptr()).fail {
                self.done = true;
                return Err(error(parser));
            }
            let event = event.as_mut_ptr();
            let mark = Mark {
                line: (*event).start_mark.line as usize,
                col: (*event).start_mark.column as usize,
            };
            let converted = convert(&*event);
            sys::yaml_event_delete(event);
            if converted == Event::StreamEnd {
                self.done = true;
            }
            Ok((converted, mark))
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: initialized in `new`, deleted once.
        unsafe { sys::yaml_parser_delete(self.sys.as_mut_ptr()) }
    }
}

/// A NUL-terminated string libyaml owns, copied (None for a null pointer).
unsafe fn c_string(ptr: *const u8) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: libyaml's anchors, tags and messages are NUL-terminated.
    let bytes = unsafe { std::ffi::CStr::from_ptr(ptr.cast()) }.to_bytes();
    Some(String::from_utf8_lossy(bytes).into_owned())
}

unsafe fn error(parser: *const sys::yaml_parser_t) -> ParseError {
    // SAFETY: the parser is initialized; problem and context are static C strings or null.
    unsafe {
        let p = &*parser;
        ParseError {
            mark: Mark {
                line: p.problem_mark.line as usize,
                col: p.problem_mark.column as usize,
            },
            problem: c_string(p.problem.cast())
                .unwrap_or_else(|| "the YAML parser failed".to_string()),
            context: c_string(p.context.cast()),
        }
    }
}

unsafe fn convert(e: &sys::yaml_event_t) -> Event {
    // SAFETY: the union member read is the one the event type names.
    unsafe {
        match e.type_ {
            sys::YAML_STREAM_START_EVENT => Event::StreamStart,
            sys::YAML_STREAM_END_EVENT => Event::StreamEnd,
            sys::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
            sys::YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
            sys::YAML_ALIAS_EVENT => {
                Event::Alias(c_string(e.data.alias.anchor).unwrap_or_default())
            }
            sys::YAML_SCALAR_EVENT => {
                let s = &e.data.scalar;
                let bytes = std::slice::from_raw_parts(s.value, s.length as usize);
                Event::Scalar {
                    // The input is UTF-8 and libyaml writes escapes as UTF-8.
                    value: String::from_utf8_lossy(bytes).into_owned(),
                    style: match s.style {
                        sys::YAML_SINGLE_QUOTED_SCALAR_STYLE => Style::SingleQuoted,
                        sys::YAML_DOUBLE_QUOTED_SCALAR_STYLE => Style::DoubleQuoted,
                        sys::YAML_LITERAL_SCALAR_STYLE => Style::Literal,
                        sys::YAML_FOLDED_SCALAR_STYLE => Style::Folded,
                        _ => Style::Plain,
                    },
                    anchor: c_string(s.anchor),
                    tag: c_string(s.tag),
                }
            }
            sys::YAML_SEQUENCE_START_EVENT => Event::SequenceStart {
                anchor: c_string(e.data.sequence_start.anchor),
            },
            sys::YAML_SEQUENCE_END_EVENT => Event::SequenceEnd,
            sys::YAML_MAPPING_START_EVENT => Event::MappingStart {
                anchor: c_string(e.data.mapping_start.anchor),
            },
            sys::YAML_MAPPING_END_EVENT => Event::MappingEnd,
            _ => Event::StreamEnd,
        }
    }
}
