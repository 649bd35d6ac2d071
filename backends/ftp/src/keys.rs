//! Which characters ftp names may not hold.
//!
//! FTP commands are lines ending in CR LF, so a CR or LF in a name would end the command early
//! and send the rest as another command; NUL ends a name on most servers. rclone's default
//! `encoding` replaces every control character (`Ctl`, `Del`) with a look-alike, so a name
//! ocisync wrote with one raw would be a different file to rclone. All of them are refused,
//! naming the key, before any request.

/// C0 control characters (U+0000..U+001F) and DEL.
pub const FORBIDDEN: &[char] = &[
    '\u{0}', '\u{1}', '\u{2}', '\u{3}', '\u{4}', '\u{5}', '\u{6}', '\u{7}', '\u{8}', '\u{9}',
    '\u{a}', '\u{b}', '\u{c}', '\u{d}', '\u{e}', '\u{f}', '\u{10}', '\u{11}', '\u{12}', '\u{13}',
    '\u{14}', '\u{15}', '\u{16}', '\u{17}', '\u{18}', '\u{19}', '\u{1a}', '\u{1b}', '\u{1c}',
    '\u{1d}', '\u{1e}', '\u{1f}', '\u{7f}',
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_control_character_is_forbidden() {
        for c in (0u32..0x20).chain([0x7f]).filter_map(char::from_u32) {
            assert!(super::FORBIDDEN.contains(&c), "{c:?}");
        }
        assert_eq!(super::FORBIDDEN.len(), 33);
    }
}
