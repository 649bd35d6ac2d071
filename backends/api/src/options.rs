//! Options declared once.
//!
//! A backend writes its options as one struct inside [`declare_options!`](crate::declare_options):
//! each field's name is the config key, its type decides how values are parsed, its doc comment is
//! the help text, and an optional string literal is the default. The macro yields the typed struct,
//! a `SPECS` table (used for validation, `ocisync backends`, generated docs and `--<prefix>-<key>`
//! flags) and `from_values`, so a key cannot be spelled one way in the table and another in code.

use std::collections::BTreeMap;
use std::fmt;

use crate::secret::Secret;
use crate::units::{Duration, Size};

/// What kind of value an option takes; shown in help and docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    String,
    Bool,
    Int,
    Size,
    Duration,
    Secret,
    /// A list of strings: a TOML array, or comma-separated text (rclone's CommaSepList).
    List,
    /// An Oracle Cloud identifier ([`crate::Ocid`]); anything else is refused unseen.
    Ocid,
}

impl fmt::Display for OptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptionKind::String => "string",
            OptionKind::Bool => "bool",
            OptionKind::Int => "int",
            OptionKind::Size => "size",
            OptionKind::Duration => "duration",
            OptionKind::Secret => "string (secret)",
            OptionKind::List => "list of strings",
            OptionKind::Ocid => "OCID",
        })
    }
}

/// One option of a backend or credential provider.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    pub name: &'static str,
    pub kind: OptionKind,
    pub default: Option<&'static str>,
    /// The field's doc comment; the first line is the short help.
    pub help: &'static str,
    pub required: bool,
    /// Never printed: redacted in `config show`, errors and logs, and a reason to check the
    /// config file's permissions.
    pub sensitive: bool,
    /// Rarely needed; listed after the others.
    pub advanced: bool,
}

impl OptionSpec {
    /// The first sentence of the help, trimmed. An abbreviation's dot (`e.g. us-ashburn-1`)
    /// does not end the sentence.
    pub fn short_help(&self) -> String {
        let text = self.help_text();
        let end = text.match_indices(". ").map(|(i, _)| i).find(|&i| {
            let before = &text[..i];
            !["e.g", "i.e", "etc", "vs"]
                .iter()
                .any(|a| before.ends_with(a))
        });
        match end {
            Some(i) => text[..=i].to_string(),
            None => text,
        }
    }

    /// The whole help as one paragraph.
    pub fn help_text(&self) -> String {
        self.help
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A value as written in a config file, a connection string or on the command line.
#[derive(Clone, PartialEq)]
pub enum RawValue {
    String(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A value of a sensitive option: kept out of every printout.
    Secret(Secret),
    /// A TOML array of strings.
    List(Vec<String>),
}

impl RawValue {
    /// What the value is, for "wrong type" messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            RawValue::String(_) | RawValue::Secret(_) => "string",
            RawValue::Bool(_) => "bool",
            RawValue::Int(_) => "integer",
            RawValue::Float(_) => "float",
            RawValue::List(_) => "list",
        }
    }

    /// The value as text. rclone.conf and flags give everything as text, so every typed option
    /// also accepts its textual form.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            RawValue::String(s) => Some(s),
            RawValue::Secret(s) => Some(s.expose()),
            _ => None,
        }
    }

    /// A printable form: secrets redacted.
    pub fn display(&self) -> String {
        match self {
            RawValue::String(s) => format!("{s:?}"),
            RawValue::Bool(b) => b.to_string(),
            RawValue::Int(i) => i.to_string(),
            RawValue::Float(f) => f.to_string(),
            RawValue::List(l) => format!("{l:?}"),
            RawValue::Secret(_) => "\"<redacted>\"".into(),
        }
    }
}

impl fmt::Debug for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// The options of one remote: key → value, before typing.
pub type ConfigValues = BTreeMap<String, RawValue>;

/// Why one option is wrong. The config layer adds the file, line and remote.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionError {
    #[error("unknown key {key:?}{}", hint.as_ref().map(|h| format!(" (did you mean {h:?}?)")).unwrap_or_default())]
    Unknown { key: String, hint: Option<String> },
    #[error("missing required key {key:?}")]
    Missing { key: String },
    #[error("key {key:?}: expected {expected}, found {found}")]
    WrongType {
        key: String,
        expected: OptionKind,
        found: String,
    },
    #[error("key {key:?}: {message}")]
    Invalid { key: String, message: String },
}

impl OptionError {
    pub fn key(&self) -> &str {
        match self {
            OptionError::Unknown { key, .. }
            | OptionError::Missing { key }
            | OptionError::WrongType { key, .. }
            | OptionError::Invalid { key, .. } => key,
        }
    }

    pub fn invalid(key: &str, message: impl Into<String>) -> Self {
        OptionError::Invalid {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// A Rust type an option can have.
pub trait OptionType: Sized {
    const KIND: OptionKind;
    /// `Option<T>` is the only kind that may be absent without a default.
    const OPTIONAL: bool = false;
    fn parse(raw: &RawValue) -> Result<Self, String>;
    /// The value when the key is absent and there is no default.
    fn absent() -> Option<Self> {
        None
    }
}

fn text<'a>(raw: &'a RawValue, what: &str) -> Result<&'a str, String> {
    raw.as_text()
        .ok_or_else(|| format!("{what}, found {}", raw.type_name()))
}

impl OptionType for String {
    const KIND: OptionKind = OptionKind::String;
    fn parse(raw: &RawValue) -> Result<Self, String> {
        match raw {
            RawValue::Int(i) => Ok(i.to_string()),
            RawValue::Bool(b) => Ok(b.to_string()),
            other => text(other, "expected string").map(str::to_string),
        }
    }
}

impl OptionType for Secret {
    const KIND: OptionKind = OptionKind::Secret;
    fn parse(raw: &RawValue) -> Result<Self, String> {
        text(raw, "expected string").map(Secret::new)
    }
}

impl OptionType for bool {
    const KIND: OptionKind = OptionKind::Bool;
    fn parse(raw: &RawValue) -> Result<Self, String> {
        match raw {
            RawValue::Bool(b) => Ok(*b),
            other => match text(other, "expected bool")?
                .trim()
                .to_ascii_lowercase()
                .as_str()
            {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" | "" => Ok(false),
                v => Err(format!("expected true or false, found {v:?}")),
            },
        }
    }
}

macro_rules! int_option {
    ($($t:ty),*) => {$(
        impl OptionType for $t {
            const KIND: OptionKind = OptionKind::Int;
            fn parse(raw: &RawValue) -> Result<Self, String> {
                match raw {
                    RawValue::Int(i) => <$t>::try_from(*i).map_err(|_| format!("{i} is out of range")),
                    other => {
                        let t = text(other, "expected integer")?.trim();
                        t.parse::<$t>().map_err(|_| format!("expected integer, found {t:?}"))
                    }
                }
            }
        }
    )*};
}
int_option!(u32, u64, usize, i64);

impl OptionType for Size {
    const KIND: OptionKind = OptionKind::Size;
    fn parse(raw: &RawValue) -> Result<Self, String> {
        match raw {
            // A bare integer in TOML is bytes: `chunk_size = 5242880` means what it says.
            RawValue::Int(i) if *i >= 0 => Ok(Size(*i as u64)),
            other => Size::parse(text(other, "expected size such as 5Mi")?),
        }
    }
}

impl OptionType for Duration {
    const KIND: OptionKind = OptionKind::Duration;
    fn parse(raw: &RawValue) -> Result<Self, String> {
        match raw {
            RawValue::Int(i) if *i >= 0 => Ok(Duration(std::time::Duration::from_secs(*i as u64))),
            other => Duration::parse(text(other, "expected duration such as 1h30m")?),
        }
    }
}

impl OptionType for Vec<String> {
    const KIND: OptionKind = OptionKind::List;
    fn parse(raw: &RawValue) -> Result<Self, String> {
        match raw {
            RawValue::List(items) => Ok(items.clone()),
            // rclone.conf, flags and defaults give lists as comma-separated text.
            other => Ok(text(other, "expected list of strings")?
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()),
        }
    }
}

impl<T: OptionType> OptionType for Option<T> {
    const KIND: OptionKind = T::KIND;
    const OPTIONAL: bool = true;
    fn parse(raw: &RawValue) -> Result<Self, String> {
        // An empty string in rclone.conf means "not set".
        if raw.as_text().is_some_and(|t| t.is_empty()) && T::KIND != OptionKind::String {
            return Ok(None);
        }
        T::parse(raw).map(Some)
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
}

/// Reads one field for [`declare_options!`](crate::declare_options).
#[doc(hidden)]
pub fn parse_field<T: OptionType>(
    values: &ConfigValues,
    key: &str,
    default: Option<&'static str>,
) -> Result<T, OptionError> {
    let parse = |raw: &RawValue| {
        T::parse(raw).map_err(|message| {
            if message.starts_with("expected") && message.contains(", found ") {
                let found = message
                    .rsplit(", found ")
                    .next()
                    .unwrap_or_default()
                    .to_string();
                OptionError::WrongType {
                    key: key.to_string(),
                    expected: T::KIND,
                    found,
                }
            } else {
                OptionError::Invalid {
                    key: key.to_string(),
                    message,
                }
            }
        })
    };
    match (values.get(key), default) {
        (Some(raw), _) => parse(raw),
        (None, Some(d)) => parse(&RawValue::String(d.to_string())),
        (None, None) => T::absent().ok_or_else(|| OptionError::Missing {
            key: key.to_string(),
        }),
    }
}

/// Turns the values of sensitive options into [`RawValue::Secret`], so no printout shows them —
/// and the value of an OCID option that is not an OCID (likely a secret pasted in the wrong
/// field).
pub fn mark_secrets(specs: &[OptionSpec], values: &mut ConfigValues) {
    for spec in specs {
        let misplaced = |text: &str| {
            spec.kind == OptionKind::Ocid
                && !text.trim().is_empty()
                && !crate::ocid::is_ocid(text.trim())
        };
        if let Some(v) = values.get_mut(spec.name)
            && let Some(text) = v.as_text()
            && (spec.sensitive || misplaced(text))
            && !matches!(v, RawValue::Secret(_))
        {
            *v = RawValue::Secret(Secret::new(text));
        }
    }
}

/// Every problem in `values` against `specs`: unknown keys (with a near-miss hint), missing
/// required keys and values that do not parse. `open` accepts unknown keys (the generic OpenDAL
/// passthrough hands them to the service).
pub fn check_values(specs: &[OptionSpec], values: &ConfigValues, open: bool) -> Vec<OptionError> {
    let mut problems = Vec::new();
    for key in values.keys() {
        if !open && !specs.iter().any(|s| s.name == key) {
            problems.push(OptionError::Unknown {
                key: key.clone(),
                hint: closest(key, specs),
            });
        }
    }
    for spec in specs {
        match values.get(spec.name) {
            None if spec.required && spec.default.is_none() => {
                problems.push(OptionError::Missing {
                    key: spec.name.to_string(),
                })
            }
            None => {}
            Some(raw) => {
                if let Err(e) = check_kind(spec, raw) {
                    problems.push(e);
                }
            }
        }
    }
    problems
}

fn check_kind(spec: &OptionSpec, raw: &RawValue) -> Result<(), OptionError> {
    let key = spec.name;
    let result = match spec.kind {
        OptionKind::String | OptionKind::Secret => <String as OptionType>::parse(raw).map(drop),
        OptionKind::Bool => <Option<bool> as OptionType>::parse(raw).map(drop),
        OptionKind::Int => <Option<i64> as OptionType>::parse(raw).map(drop),
        OptionKind::Size => <Option<Size> as OptionType>::parse(raw).map(drop),
        OptionKind::Duration => <Option<Duration> as OptionType>::parse(raw).map(drop),
        OptionKind::List => <Vec<String> as OptionType>::parse(raw).map(drop),
        OptionKind::Ocid => <Option<crate::Ocid> as OptionType>::parse(raw).map(drop),
    };
    result.map_err(|message| {
        if message.starts_with("expected") && message.contains(", found ") {
            let found = message
                .rsplit(", found ")
                .next()
                .unwrap_or_default()
                .to_string();
            OptionError::WrongType {
                key: key.to_string(),
                expected: spec.kind,
                found,
            }
        } else {
            OptionError::Invalid {
                key: key.to_string(),
                message,
            }
        }
    })
}

/// The declared key nearest to a mistyped one (edit distance ≤ 3), for "did you mean".
fn closest(key: &str, specs: &[OptionSpec]) -> Option<String> {
    specs
        .iter()
        .map(|s| (edit_distance(key, s.name), s.name))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| n.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Declares a backend's (or credential provider's) options once. See the module docs.
///
/// ```
/// ocisync_backend::declare_options! {
///     pub struct DemoOptions {
///         /// Region to connect to.
///         region: Option<String>;
///         /// Chunk size for multipart uploads.
///         chunk_size: ocisync_backend::Size = "5Mi", advanced;
///         /// Secret key.
///         secret_key: Option<ocisync_backend::Secret>, sensitive;
///     }
/// }
/// assert_eq!(DemoOptions::SPECS.len(), 3);
/// assert!(DemoOptions::SPECS[2].sensitive);
/// ```
#[macro_export]
macro_rules! declare_options {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident : $ty:ty $(= $default:literal)? $(, $flag:ident)* ;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        $vis struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl $name {
            /// The options, in declaration order.
            pub const SPECS: &'static [$crate::OptionSpec] = &[
                $( $crate::OptionSpec {
                    name: stringify!($field),
                    kind: <$ty as $crate::OptionType>::KIND,
                    default: $crate::__option_default!($($default)?),
                    help: concat!($($doc, "\n",)* ""),
                    required: !<$ty as $crate::OptionType>::OPTIONAL,
                    sensitive: matches!(<$ty as $crate::OptionType>::KIND, $crate::OptionKind::Secret)
                        $( || $crate::__option_flag!(sensitive $flag) )*,
                    advanced: false $( || $crate::__option_flag!(advanced $flag) )*,
                }, )*
            ];

            /// The typed options from checked values.
            pub fn from_values(values: &$crate::ConfigValues) -> Result<Self, $crate::OptionError> {
                Ok(Self {
                    $( $field: $crate::options::parse_field::<$ty>(
                        values, stringify!($field), $crate::__option_default!($($default)?))?, )*
                })
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __option_default {
    () => {
        None
    };
    ($d:literal) => {
        Some($d)
    };
}

/// `true` when `$flag` is the flag asked about; an unknown flag fails to compile.
#[doc(hidden)]
#[macro_export]
macro_rules! __option_flag {
    (sensitive sensitive) => {
        true
    };
    (advanced advanced) => {
        true
    };
    (sensitive advanced) => {
        false
    };
    (advanced sensitive) => {
        false
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::declare_options! {
        struct Demo {
            /// The region.
            /// Second line.
            region: Option<String>;
            /// Needed.
            bucket: String;
            /// Chunk.
            chunk_size: Size = "5Mi", advanced;
            /// Flag.
            no_check_bucket: bool = "false";
            /// Key.
            secret: Option<Secret>;
            /// Parts.
            upload_concurrency: usize = "4";
        }
    }

    fn vals(pairs: &[(&str, RawValue)]) -> ConfigValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn specs_come_from_the_declaration() {
        let names: Vec<_> = Demo::SPECS.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "region",
                "bucket",
                "chunk_size",
                "no_check_bucket",
                "secret",
                "upload_concurrency"
            ]
        );
        assert_eq!(Demo::SPECS[0].help_text(), "The region. Second line.");
        assert!(Demo::SPECS[1].required && !Demo::SPECS[0].required);
        assert!(Demo::SPECS[2].advanced && !Demo::SPECS[3].advanced);
        assert!(Demo::SPECS[4].sensitive);
        assert_eq!(Demo::SPECS[2].default, Some("5Mi"));
    }

    #[test]
    fn short_help_is_not_cut_at_an_abbreviation() {
        let spec = OptionSpec {
            name: "region",
            kind: OptionKind::String,
            default: None,
            help: "Region, e.g. us-ashburn-1 (i.e. the home region). Blank: the identity's.",
            required: false,
            sensitive: false,
            advanced: false,
        };
        assert_eq!(
            spec.short_help(),
            "Region, e.g. us-ashburn-1 (i.e. the home region)."
        );
    }

    #[test]
    fn values_parse_from_text_and_typed_forms() {
        let v = vals(&[
            ("bucket", RawValue::String("b".into())),
            ("no_check_bucket", RawValue::String("true".into())),
            ("upload_concurrency", RawValue::Int(8)),
        ]);
        let d = Demo::from_values(&v).unwrap();
        assert_eq!(d.bucket, "b");
        assert!(d.no_check_bucket);
        assert_eq!(d.chunk_size, Size(5 << 20));
        assert_eq!(d.upload_concurrency, 8);
        assert!(d.region.is_none() && d.secret.is_none());
    }

    #[test]
    fn problems_are_named() {
        let v = vals(&[
            ("regoin", RawValue::String("x".into())),
            ("no_check_bucket", RawValue::String("maybe".into())),
            ("upload_concurrency", RawValue::Bool(true)),
        ]);
        let p = check_values(Demo::SPECS, &v, false);
        assert!(
            p.contains(&OptionError::Unknown {
                key: "regoin".into(),
                hint: Some("region".into())
            }),
            "{p:?}"
        );
        assert!(p.contains(&OptionError::Missing {
            key: "bucket".into()
        }));
        assert!(p.iter().any(|e| e.key() == "no_check_bucket"));
        assert!(p.contains(&OptionError::WrongType {
            key: "upload_concurrency".into(),
            expected: OptionKind::Int,
            found: "bool".into()
        }));
        assert!(
            check_values(Demo::SPECS, &v, true)
                .iter()
                .all(|e| !matches!(e, OptionError::Unknown { .. }))
        );
    }
}
