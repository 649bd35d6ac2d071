//! A source and destination that overlap — the same place, or one inside the other — are
//! refused before anything is listed, as rclone refuses "overlapping remotes": a sync into a
//! folder of its own source lists its own copies as source objects (and copies them again on
//! every run), and a sync from inside its destination deletes everything around its source
//! (itself included, had it been excluded from nothing).
//!
//! Places are compared by what the backends say they are ([`Features::location`]: endpoint,
//! bucket and prefix; a directory's canonical path), not by remote names, so two names for one
//! bucket overlap too. As in rclone, the nested part may be excluded by a filter rule
//! (`--exclude 'sub/**'`), and then the two do not overlap.
//!
//! [`Features::location`]: ocisync_backend::Features::location
//!
//! A destination that cannot be written at all (its operator has no write capability: the
//! read-only `http` backend) is refused here too, before anything is listed or copied.

use ocisync_backend::Remote;

use crate::filter::Filter;

/// Fails with rclone's message when `src` and `dst` overlap (and the filter does not exclude
/// the nested part).
pub fn check(src: &Remote, dst: &Remote, filter: &Filter) -> Result<(), String> {
    read_only(dst)?;
    let (Some(s), Some(d)) = (&src.features.location, &dst.features.location) else {
        return Ok(());
    };
    let how = if s == d {
        Some("is the same place as".to_string())
    } else if let Some(rel) = d.strip_prefix(s.as_str()) {
        // The destination inside the source: the source listing would include it.
        filter
            .dir_included(rel)
            .then(|| format!("is inside the source (as {rel:?}) of"))
    } else if let Some(rel) = s.strip_prefix(d.as_str()) {
        // The source inside the destination: a sync would delete around it, itself included.
        filter
            .dir_included(rel)
            .then(|| format!("contains (as {rel:?}) the source"))
    } else {
        None
    };
    match how {
        None => Ok(()),
        Some(how) => Err(format!(
            "{} {how} {}: can't sync or copy files on overlapping remotes (try excluding the \
             destination with a filter rule)",
            dst.display(),
            src.display()
        )),
    }
}

/// Fails when `dst` cannot be written: rclone's read-only backends refuse every write.
fn read_only(dst: &Remote) -> Result<(), String> {
    let info = dst.op.info();
    if info.capability().write {
        return Ok(());
    }
    Err(format!(
        "cannot sync or copy to {}: {} remotes are read-only, as in rclone",
        dst.display(),
        info.scheme()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocisync_backend::Features;

    fn remote(name: &str, root: &str, location: &str) -> Remote {
        let op = opendal::Operator::new(opendal::services::Fs::default().root("/"))
            .expect("fs operator");
        Remote {
            name: name.into(),
            root: root.into(),
            op,
            features: Features {
                location: Some(location.into()),
                ..Features::default()
            },
            modtime_setter: None,
            root_exists: None,
        }
    }

    #[test]
    fn same_nested_and_disjoint_places() {
        let all = Filter::default();
        let p = remote("s3", "b/p", "s3://e/b/p/");
        let sub = remote("other", "b/p/sub", "s3://e/b/p/sub/");
        let pp = remote("s3", "b/pp", "s3://e/b/pp/");
        assert!(check(&p, &p, &all).unwrap_err().contains("same place"));
        let e = check(&p, &sub, &all).unwrap_err();
        assert!(
            e.contains("inside the source") && e.contains("overlapping"),
            "{e}"
        );
        assert!(check(&sub, &p, &all).unwrap_err().contains("contains"));
        // A common string prefix is not a common folder.
        assert!(check(&p, &pp, &all).is_ok());
        // As rclone: excluding the nested folder makes it fine.
        let mut f = Filter::default();
        f.add(crate::filter::Action::Exclude, "sub/**").unwrap();
        assert!(check(&p, &sub, &f).is_ok());
    }
}
