//! MD5 through aws-lc, which rustls already links: its assembly is about 1.3× the portable
//! RustCrypto `md-5` 0.11 on x86_64 (809 against 643 MB/s measured on the development machine,
//! perf-reference §4.4), and MD5 is most of the CPU a verified copy spends. Targets whose
//! aws-lc bindings have no MD5 fall back to `md-5`.

use crate::object::Md5;

/// An incremental MD5: `update` with the bytes in order, then `finalize`.
pub struct Md5Hasher(imp::Ctx);

impl Md5Hasher {
    pub fn new() -> Md5Hasher {
        Md5Hasher(imp::Ctx::new())
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finalize(self) -> Md5 {
        Md5(self.0.finalize())
    }

    /// The MD5 of one buffer.
    pub fn of(data: &[u8]) -> Md5 {
        let mut h = Md5Hasher::new();
        h.update(data);
        h.finalize()
    }
}

impl Default for Md5Hasher {
    fn default() -> Self {
        Md5Hasher::new()
    }
}

// The state is plain numbers: showing it would say nothing useful.
impl std::fmt::Debug for Md5Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Md5Hasher")
    }
}

#[cfg(all(
    any(target_arch = "x86_64", target_arch = "aarch64"),
    any(target_os = "linux", target_os = "macos")
))]
mod imp {
    use aws_lc_sys::{MD5_CTX, MD5_Final, MD5_Init, MD5_Update};

    /// `MD5_CTX` is plain data (no pointers into itself), so it may move.
    pub struct Ctx(MD5_CTX);

    impl Ctx {
        pub fn new() -> Ctx {
            let mut ctx = std::mem::MaybeUninit::<MD5_CTX>::uninit();
            // SAFETY: MD5_Init fully initialises the context it is given and cannot fail.
            unsafe {
                MD5_Init(ctx.as_mut_ptr());
                Ctx(ctx.assume_init())
            }
        }

        pub fn update(&mut self, data: &[u8]) {
            // SAFETY: the pointer and length describe `data`, which outlives the call.
            unsafe {
                MD5_Update(&mut self.0, data.as_ptr().cast(), data.len());
            }
        }

        pub fn finalize(mut self) -> [u8; 16] {
            let mut out = [0u8; 16];
            // SAFETY: `out` has the 16 bytes MD5_Final writes.
            unsafe {
                MD5_Final(out.as_mut_ptr(), &mut self.0);
            }
            out
        }
    }
}

#[cfg(not(all(
    any(target_arch = "x86_64", target_arch = "aarch64"),
    any(target_os = "linux", target_os = "macos")
)))]
mod imp {
    use md5::Digest;

    pub struct Ctx(md5::Md5);

    impl Ctx {
        pub fn new() -> Ctx {
            Ctx(md5::Md5::new())
        }

        pub fn update(&mut self, data: &[u8]) {
            self.0.update(data);
        }

        pub fn finalize(self) -> [u8; 16] {
            self.0.finalize().into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::Digest;

    #[test]
    fn same_digest_as_md5_crate() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 251) as u8).collect();
        for len in [0, 1, 55, 56, 63, 64, 65, 1000, 200_000] {
            let mut h = Md5Hasher::new();
            // In uneven pieces, as bodies arrive.
            for piece in data[..len].chunks(97) {
                h.update(piece);
            }
            let want: [u8; 16] = md5::Md5::digest(&data[..len]).into();
            assert_eq!(h.finalize().0, want, "length {len}");
            assert_eq!(Md5Hasher::of(&data[..len]).0, want);
        }
        assert_eq!(
            Md5Hasher::of(b"").to_hex(),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }
}
