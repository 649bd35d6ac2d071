//! `touch PATH`: creates an empty object with a modification time, or sets the time of existing
//! files (all of a directory's with `--recursive`). On S3 and OCI the time of an existing object
//! lives in its `mtime` metadata, which cannot change without copying the object: ocisync
//! refuses that case rather than rewrite a report.

use ocisync_backend::{ObjectInfo, Remote, SetModtime};

use super::objects::{self, Failure, walk};
use crate::cli::TouchArgs;
use crate::exitcode;
use crate::filter::Filter;
use crate::resolve::Resolver;

/// rclone's `--timestamp` layouts, chosen by length as rclone chooses them: `060102`
/// (YYMMDD), `2006-01-02T15:04:05`, `2006-01-02T15:04:05.999999999` — UTC unless
/// `--localtime`.
pub fn parse_time(text: &str, local: bool) -> Result<jiff::Timestamp, String> {
    let bad = || {
        format!(
            "failed to parse timestamp argument {text:?}: use YYMMDD (060102), \
             2006-01-02T15:04:05 or 2006-01-02T15:04:05.999999999"
        )
    };
    let civil = if text.len() < 19 {
        // Go's two-digit years: 69-99 are 1900s, 00-68 2000s.
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n = |r: std::ops::Range<usize>| text[r].parse::<i16>().map_err(|_| bad());
        let yy = n(0..2)?;
        let year = if yy >= 69 { 1900 + yy } else { 2000 + yy };
        jiff::civil::Date::new(year, n(2..4)? as i8, n(4..6)? as i8)
            .map_err(|_| bad())?
            .to_datetime(jiff::civil::Time::midnight())
    } else {
        text.parse::<jiff::civil::DateTime>().map_err(|_| bad())?
    };
    let tz = if local {
        jiff::tz::TimeZone::system()
    } else {
        jiff::tz::TimeZone::UTC
    };
    civil
        .to_zoned(tz)
        .map(|z| z.timestamp())
        .map_err(|e| e.to_string())
}

/// `touch PATH [-C] [-t TIME] [--localtime] [-R]`.
pub async fn touch(resolver: &Resolver, a: &TouchArgs, filter: &Filter, dry_run: bool) -> u8 {
    objects::finish(touch_inner(resolver, a, filter, dry_run).await)
}

async fn touch_inner(
    resolver: &Resolver,
    a: &TouchArgs,
    filter: &Filter,
    dry_run: bool,
) -> Result<u8, Failure> {
    let t = match &a.timestamp {
        Some(text) => {
            parse_time(text, a.localtime).map_err(|e| Failure::new(exitcode::USAGE, e))?
        }
        None => jiff::Timestamp::now(),
    };
    let spec = a.target.remote.as_str();
    let Some((parent_path, name)) = objects::split(spec)? else {
        // A directory: its files (all levels with -R).
        let remote = objects::open(resolver, spec).await?;
        return touch_dir(&remote, filter, t, a.recursive, dry_run).await;
    };
    let parent = resolver.open(&parent_path).await.map_err(Failure::from)?;
    match parent.stat(&name).await {
        Ok(o) if o.is_dir => {
            let remote = objects::open(resolver, spec).await?;
            touch_dir(&remote, filter, t, a.recursive, dry_run).await
        }
        Ok(o) => set_time(&parent, &o, t, dry_run)
            .await
            .map(|_| exitcode::SUCCESS),
        Err(e) if e.kind == ocisync_backend::ErrorKind::NotFound => {
            if a.no_create {
                tracing::warn!(
                    "{}: Not touching nonexistent file due to --no-create",
                    parent.display()
                );
                return Ok(exitcode::SUCCESS);
            }
            if a.recursive {
                tracing::warn!(
                    "{}: Not touching nonexistent file due to --recursive",
                    parent.display()
                );
                return Ok(exitcode::SUCCESS);
            }
            if dry_run {
                tracing::warn!(object = %parent.display(), "Skipped touch (create) as --dry-run is set");
                return Ok(exitcode::SUCCESS);
            }
            parent.check_key(&name)?;
            let created = create_empty(&parent, &name, t).await;
            objects::remove_partial_dir(&parent).await;
            created.map(|()| exitcode::SUCCESS)
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes an empty object with modification time `t`.
async fn create_empty(remote: &Remote, name: &str, t: jiff::Timestamp) -> Result<(), Failure> {
    let mut w = remote.op.writer_with(name);
    if let Some(m) = remote.write_metadata(Some(t), None, false) {
        w = w.user_metadata(m);
    }
    if remote.features.writes_metadata {
        w = w.content_type(crate::mime::guess(name));
    }
    let mut writer = w.await.map_err(|e| remote.error(e, "write", name))?;
    writer
        .close()
        .await
        .map_err(|e| remote.error(e, "write", name))?;
    if remote.features.set_modtime == SetModtime::Yes && !remote.features.writes_metadata {
        remote.set_modtime(name, t).await?;
    }
    tracing::debug!(object = %name, "Touching (creating)");
    Ok(())
}

/// Sets an existing object's time (file systems only).
async fn set_time(
    remote: &Remote,
    o: &ObjectInfo,
    t: jiff::Timestamp,
    dry_run: bool,
) -> Result<(), Failure> {
    if remote.features.set_modtime != SetModtime::Yes {
        return Err(Failure::new(
            exitcode::UNCATEGORIZED,
            format!(
                "{}: failed to touch {}: the modification time of an existing object here can \
                 only change by copying the object, which ocisync does not do",
                remote.display(),
                o.path
            ),
        ));
    }
    if dry_run {
        tracing::warn!(object = %o.path, "Skipped touch as --dry-run is set");
        return Ok(());
    }
    remote.set_modtime(&o.path, t).await?;
    tracing::debug!(object = %o.path, "Touching");
    Ok(())
}

async fn touch_dir(
    remote: &Remote,
    filter: &Filter,
    t: jiff::Timestamp,
    recursive: bool,
    dry_run: bool,
) -> Result<u8, Failure> {
    let entries = walk(remote, filter).await?;
    let mut errors = 0u64;
    for o in entries
        .iter()
        .filter(|o| !o.is_dir && (recursive || !o.path.contains('/')))
    {
        if let Err(f) = set_time(remote, o, t, dry_run).await {
            errors += 1;
            tracing::error!("{}", f.message);
        }
    }
    Ok(if errors > 0 {
        exitcode::UNCATEGORIZED
    } else {
        exitcode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_as_rclone() {
        assert_eq!(
            parse_time("260301", false).unwrap().to_string(),
            "2026-03-01T00:00:00Z"
        );
        assert_eq!(
            parse_time("990301", false).unwrap().to_string(),
            "1999-03-01T00:00:00Z"
        );
        assert!(parse_time("2026-03-01", false).is_err(), "as rclone 1.75");
        assert_eq!(
            parse_time("2026-03-01T06:07:08", false)
                .unwrap()
                .to_string(),
            "2026-03-01T06:07:08Z"
        );
        assert_eq!(
            parse_time("2026-03-01T06:07:08.5", false)
                .unwrap()
                .to_string(),
            "2026-03-01T06:07:08.5Z"
        );
        assert!(parse_time("yesterday", false).is_err());
    }
}
