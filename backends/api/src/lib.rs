//! The interface between ocisync's engine and its storage backends.
//!
//! A backend is a plugin: it declares its type name and options once ([`BackendSpec`], built with
//! [`declare_options!`]) and turns a configured remote into a [`Remote`] — an OpenDAL `Operator`
//! plus the [`Features`] that tell the engine where sizes, hashes and modification times come
//! from. Credential providers ([`credentials`]) plug in the same way.

pub mod alerts;
pub mod backend;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod fast_md5;
pub mod keys;
pub mod md5_lanes;
pub mod object;
pub mod ocid;
pub mod options;
pub mod remote;
pub mod secret;
pub mod tiers;
pub mod transport;
pub mod units;
pub mod uploads;

pub use alerts::{AlertMessage, AlertSink, AlertSpec, AlertType};
pub use backend::{Backend, BackendSpec, GlobalOptions, OpenContext};
pub use credentials::{
    CredentialProvider, CredentialSource, CredentialSpec, CredentialType, Credentials,
    OptionsCredentialType,
};
pub use error::{Error, ErrorKind, Result};
pub use object::{Md5, ObjectInfo};
pub use ocid::Ocid;
pub use options::{ConfigValues, OptionError, OptionKind, OptionSpec, OptionType, RawValue};
pub use remote::{Features, HashSource, MODTIME_NOT_SUPPORTED, ModtimeSource, Remote, SetModtime};
pub use secret::Secret;
pub use units::{Duration, Size};

/// Re-exported so backends name the same OpenDAL as the engine.
pub use opendal;
