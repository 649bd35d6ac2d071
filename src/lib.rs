//! ocisync
