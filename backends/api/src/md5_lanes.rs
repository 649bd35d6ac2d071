//! MD5 of many messages at once, eight side by side ("multi-buffer" MD5).
//!
//! One MD5 cannot use more than one core's scalar unit: each of its 64 steps needs the one
//! before. Eight independent messages can share the vector unit instead: step by step, lane by
//! lane, the same instructions on eight 32-bit words. The code below is plain Rust over
//! `[u32; LANES]`, which the compiler turns into vector instructions (AVX2 where the machine
//! has it, checked at run time; SSE2 or NEON otherwise). A `--checksum` run from a local
//! source hashes thousands of small files, and aws-lc's MD5 was 85% of its instructions
//! (callgrind, docs/performance.md).
//!
//! Lanes are refilled as messages end, so messages of different lengths share them; the last
//! few messages, once no new one can take an idle lane, finish one at a time in scalar steps.

use crate::object::Md5;

/// Messages hashed side by side.
pub const LANES: usize = 16;

/// The MD5 of each message, in order.
pub fn md5_all(msgs: &[&[u8]]) -> Vec<Md5> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the machine has AVX2, checked just above.
        return unsafe { md5_all_avx2(msgs) };
    }
    md5_all_in::<LANES>(msgs)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn md5_all_avx2(msgs: &[&[u8]]) -> Vec<Md5> {
    md5_all_in::<LANES>(msgs)
}

const IV: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// `floor(abs(sin(i + 1)) × 2^32)`, RFC 1321.
const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// One 64-byte block of each lane into the lanes' states (`state[word][lane]`).
#[inline(always)]
fn compress<const N: usize>(state: &mut [[u32; N]; 4], blocks: &[&[u8; 64]; N]) {
    let mut w = [[0u32; N]; 16];
    for (j, word) in w.iter_mut().enumerate() {
        for (l, block) in blocks.iter().enumerate() {
            let b = &block[4 * j..4 * j + 4];
            word[l] = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
    }
    let [mut a, mut b, mut c, mut d] = *state;
    // One step: a = b + ((a + f(b, c, d) + K[i] + w[g]) <<< s), lane by lane; the shift is a
    // literal so that every lane shifts by the same constant.
    macro_rules! step {
        ($f:expr, $a:ident, $b:ident, $c:ident, $d:ident, $i:expr, $g:expr, $s:literal) => {
            for l in 0..N {
                let f = $f($b[l], $c[l], $d[l]);
                let sum = $a[l]
                    .wrapping_add(f)
                    .wrapping_add(K[$i])
                    .wrapping_add(w[$g][l]);
                $a[l] = $b[l].wrapping_add(sum.rotate_left($s));
            }
        };
    }
    let f = |b: u32, c: u32, d: u32| d ^ (b & (c ^ d));
    let g = |b: u32, c: u32, d: u32| c ^ (d & (b ^ c));
    let h = |b: u32, c: u32, d: u32| b ^ c ^ d;
    let i = |b: u32, c: u32, d: u32| c ^ (b | !d);
    // Every index a literal, so that the compiler folds each step's constant and message
    // word instead of computing them in a loop.
    macro_rules! round1 {
        ($($n:literal)*) => {$(
            step!(f, a, b, c, d, $n, $n, 7);
            step!(f, d, a, b, c, $n + 1, $n + 1, 12);
            step!(f, c, d, a, b, $n + 2, $n + 2, 17);
            step!(f, b, c, d, a, $n + 3, $n + 3, 22);
        )*};
    }
    macro_rules! round2 {
        ($($n:literal)*) => {$(
            step!(g, a, b, c, d, $n, (5 * $n + 1) % 16, 5);
            step!(g, d, a, b, c, $n + 1, (5 * ($n + 1) + 1) % 16, 9);
            step!(g, c, d, a, b, $n + 2, (5 * ($n + 2) + 1) % 16, 14);
            step!(g, b, c, d, a, $n + 3, (5 * ($n + 3) + 1) % 16, 20);
        )*};
    }
    macro_rules! round3 {
        ($($n:literal)*) => {$(
            step!(h, a, b, c, d, $n, (3 * $n + 5) % 16, 4);
            step!(h, d, a, b, c, $n + 1, (3 * ($n + 1) + 5) % 16, 11);
            step!(h, c, d, a, b, $n + 2, (3 * ($n + 2) + 5) % 16, 16);
            step!(h, b, c, d, a, $n + 3, (3 * ($n + 3) + 5) % 16, 23);
        )*};
    }
    macro_rules! round4 {
        ($($n:literal)*) => {$(
            step!(i, a, b, c, d, $n, (7 * $n) % 16, 6);
            step!(i, d, a, b, c, $n + 1, (7 * ($n + 1)) % 16, 10);
            step!(i, c, d, a, b, $n + 2, (7 * ($n + 2)) % 16, 15);
            step!(i, b, c, d, a, $n + 3, (7 * ($n + 3)) % 16, 21);
        )*};
    }
    round1!(0 4 8 12);
    round2!(16 20 24 28);
    round3!(32 36 40 44);
    round4!(48 52 56 60);
    for l in 0..N {
        state[0][l] = state[0][l].wrapping_add(a[l]);
        state[1][l] = state[1][l].wrapping_add(b[l]);
        state[2][l] = state[2][l].wrapping_add(c[l]);
        state[3][l] = state[3][l].wrapping_add(d[l]);
    }
}

/// A message in a lane: its whole 64-byte blocks, then one or two blocks of the rest and the
/// padding.
struct Lane<'a> {
    msg: usize,
    data: &'a [u8],
    whole: usize,
    tail: [u8; 128],
    blocks: usize,
    next: usize,
}

impl<'a> Lane<'a> {
    fn new(msg: usize, data: &'a [u8]) -> Lane<'a> {
        let whole = data.len() / 64;
        let rest = &data[whole * 64..];
        let mut tail = [0u8; 128];
        tail[..rest.len()].copy_from_slice(rest);
        tail[rest.len()] = 0x80;
        let tail_blocks = if rest.len() < 56 { 1 } else { 2 };
        let bits = (data.len() as u64).wrapping_mul(8);
        tail[tail_blocks * 64 - 8..tail_blocks * 64].copy_from_slice(&bits.to_le_bytes());
        Lane {
            msg,
            data,
            whole,
            tail,
            blocks: whole + tail_blocks,
            next: 0,
        }
    }

    fn block(&self) -> &[u8; 64] {
        let b = if self.next < self.whole {
            &self.data[self.next * 64..self.next * 64 + 64]
        } else {
            let t = self.next - self.whole;
            &self.tail[t * 64..t * 64 + 64]
        };
        b.try_into().expect("64 bytes")
    }
}

fn digest(a: u32, b: u32, c: u32, d: u32) -> Md5 {
    let mut out = [0u8; 16];
    for (i, word) in [a, b, c, d].into_iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
    }
    Md5(out)
}

/// [`md5_all`] over `N` lanes, with whatever vector instructions the caller was compiled for.
#[inline(always)]
fn md5_all_in<const N: usize>(msgs: &[&[u8]]) -> Vec<Md5> {
    const IDLE: [u8; 64] = [0; 64];
    let mut out = vec![Md5([0; 16]); msgs.len()];
    let mut lanes: [Option<Lane<'_>>; N] = std::array::from_fn(|_| None);
    let mut state = [[0u32; N]; 4];
    let mut pending = msgs.iter().enumerate();
    loop {
        let mut busy = 0;
        let mut refilled = true;
        for (l, lane) in lanes.iter_mut().enumerate() {
            if lane.is_none() {
                match pending.next() {
                    Some((m, data)) => {
                        *lane = Some(Lane::new(m, data));
                        for (word, iv) in state.iter_mut().zip(IV) {
                            word[l] = iv;
                        }
                    }
                    None => refilled = false,
                }
            }
            busy += usize::from(lane.is_some());
        }
        // No message left to start, and few lanes busy: the rest one by one, without the
        // idle lanes' wasted work.
        if !refilled && busy <= N / 4 {
            for (l, lane) in lanes.iter_mut().enumerate() {
                if let Some(mut lane) = lane.take() {
                    let mut one = [[state[0][l]], [state[1][l]], [state[2][l]], [state[3][l]]];
                    while lane.next < lane.blocks {
                        compress::<1>(&mut one, &[lane.block()]);
                        lane.next += 1;
                    }
                    out[lane.msg] = digest(one[0][0], one[1][0], one[2][0], one[3][0]);
                }
            }
            return out;
        }
        let blocks: [&[u8; 64]; N] =
            std::array::from_fn(|l| lanes[l].as_ref().map_or(&IDLE, |lane| lane.block()));
        compress::<N>(&mut state, &blocks);
        for (l, slot) in lanes.iter_mut().enumerate() {
            if let Some(lane) = slot {
                lane.next += 1;
                if lane.next == lane.blocks {
                    out[lane.msg] = digest(state[0][l], state[1][l], state[2][l], state[3][l]);
                    *slot = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast_md5::Md5Hasher;

    /// Deterministic bytes (no `rand` in this crate).
    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    fn check(msgs: &[Vec<u8>]) {
        let refs: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
        let want: Vec<Md5> = msgs.iter().map(|m| Md5Hasher::of(m)).collect();
        assert_eq!(md5_all(&refs), want, "dispatched");
        assert_eq!(md5_all_in::<LANES>(&refs), want, "portable, {LANES} lanes");
        assert_eq!(md5_all_in::<1>(&refs), want, "one lane");
    }

    #[test]
    fn rfc_1321_test_suite() {
        let suite = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        let msgs: Vec<&[u8]> = suite.iter().map(|(m, _)| m.as_bytes()).collect();
        let got: Vec<String> = md5_all(&msgs).iter().map(|m| m.to_hex()).collect();
        let want: Vec<&str> = suite.iter().map(|(_, h)| *h).collect();
        assert_eq!(got, want);
    }

    /// Every length around the padding's edges (55, 56, 63, 64 …), in lanes that end at
    /// different blocks.
    #[test]
    fn every_length_up_to_three_blocks() {
        let msgs: Vec<Vec<u8>> = (0..200).map(|n| bytes(n, n as u64)).collect();
        check(&msgs);
    }

    /// Lanes refilled many times over, long and short messages mixed, and fewer messages
    /// than lanes.
    #[test]
    fn mixed_lengths_and_counts() {
        let lens = [
            0, 1, 70_000, 64, 3, 200_001, 55, 56, 4096, 65_536, 17, 1_000_003,
        ];
        let msgs: Vec<Vec<u8>> = (0..lens.len() * 5)
            .map(|i| bytes(lens[i % lens.len()] + i, i as u64))
            .collect();
        check(&msgs);
        for n in 0..=LANES + 1 {
            check(&msgs[..n]);
        }
    }
}

#[cfg(test)]
mod speed {
    use super::*;
    use crate::fast_md5::Md5Hasher;

    /// Not a test: `cargo test --release -p ocisync-backend md5_lanes::speed -- --ignored
    /// --nocapture` prints throughput against aws-lc's MD5.
    #[test]
    #[ignore]
    fn throughput() {
        let msgs: Vec<Vec<u8>> = (0..3000)
            .map(|i| vec![i as u8; 4096 + (i * 977) % 61440])
            .collect();
        let refs: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
        let total: usize = msgs.iter().map(|m| m.len()).sum();
        for _ in 0..6 {
            let t = std::time::Instant::now();
            let a: Vec<Md5> = refs.iter().map(|m| Md5Hasher::of(m)).collect();
            let scalar = t.elapsed();
            let t = std::time::Instant::now();
            let b = md5_all(&refs);
            let lanes = t.elapsed();
            assert_eq!(a, b);
            let t = std::time::Instant::now();
            let c = md5_all_in::<LANES>(&refs);
            let portable = t.elapsed();
            assert_eq!(a, c);
            let mbs = |d: std::time::Duration| total as f64 / d.as_secs_f64() / 1e6;
            println!(
                "{} MB: aws-lc {:.0} MB/s, {LANES} lanes {:.0} MB/s (without AVX2 {:.0} MB/s)",
                total / 1_000_000,
                mbs(scalar),
                mbs(lanes),
                mbs(portable)
            );
        }
    }
}
