//! Option checks the `oracleobjectstorage`, `oci_vault` and `oci_notifications` sections share.

use ocisync_backend::OptionError;

use crate::endpoints::Region;

/// `region = …` checked where it will be used to build a service URL (no `endpoint`): a region
/// this build does not know fails now, with the nearest known one, rather than at run time.
pub fn check_region_option(
    region: Option<&str>,
    endpoint: Option<&str>,
) -> std::result::Result<(), OptionError> {
    let blank = |v: Option<&str>| v.is_none_or(|v| v.trim().is_empty());
    if !blank(endpoint) || blank(region) {
        return Ok(());
    }
    Region::resolve(region.unwrap_or_default())
        .map(drop)
        .map_err(|e| OptionError::invalid("region", e.message))
}
