//! Which block of the footprint an access picks: uniform, or Zipf-distributed ranks
//! scattered over the blocks by a seeded permutation.
//!
//! Zipf sampling uses rejection-inversion (Hörmann & Derflinger, 1996, as in Apache
//! Commons RNG): O(1) memory and time for any number of items, so a 1 TiB footprint of
//! 4 KiB blocks costs nothing to set up, where a CDF table would need gigabytes. Its
//! transcendental functions are the deterministic ones of `detmath`.

use super::detmath::{exp, exp_m1, ln, ln_1p};
use super::rng::{Permutation, Rng};

/// Rejection-inversion sampler of ranks `1..=n` with P(k) proportional to k^-q.
#[derive(Clone, Debug)]
pub struct Zipf {
    n: u64,
    q: f64,
    h_x1: f64,
    h_n: f64,
    s: f64,
}

impl Zipf {
    /// `n` >= 1 items, exponent `q` >= 0 (0 is uniform).
    pub fn new(n: u64, q: f64) -> Zipf {
        let mut z = Zipf {
            n,
            q,
            h_x1: 0.0,
            h_n: 0.0,
            s: 0.0,
        };
        z.h_x1 = z.h_integral(1.5) - 1.0;
        z.h_n = z.h_integral(n as f64 + 0.5);
        z.s = 2.0 - z.h_integral_inv(z.h_integral(2.5) - z.h(2.0));
        z
    }

    /// A rank in `1..=n` (1 is the most popular).
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        loop {
            let u = self.h_n + rng.next_f64() * (self.h_x1 - self.h_n);
            let x = self.h_integral_inv(u);
            let k = ((x + 0.5) as u64).clamp(1, self.n);
            let kf = k as f64;
            if kf - x <= self.s || u >= self.h_integral(kf + 0.5) - self.h(kf) {
                return k;
            }
        }
    }

    /// The integral of h from 1 to x: (x^(1-q) - 1) / (1-q), or ln x at q = 1.
    fn h_integral(&self, x: f64) -> f64 {
        let lx = ln(x);
        helper2((1.0 - self.q) * lx) * lx
    }

    /// h(x) = x^-q.
    fn h(&self, x: f64) -> f64 {
        exp(-self.q * ln(x))
    }

    fn h_integral_inv(&self, x: f64) -> f64 {
        let t = (x * (1.0 - self.q)).max(-1.0);
        exp(helper1(t) * x)
    }
}

/// ln(1+x)/x, continuous at 0.
fn helper1(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        ln_1p(x) / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// (e^x - 1)/x, continuous at 0.
fn helper2(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        exp_m1(x) / x
    } else {
        1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x))
    }
}

/// Picks a block in `0..n`: uniformly, or Zipf with exponent `alpha` over ranks that
/// a seeded permutation maps to blocks.
#[derive(Clone, Debug)]
pub enum Popularity {
    Uniform { n: u64 },
    Zipf { zipf: Zipf, perm: Permutation },
}

impl Popularity {
    /// `alpha == 0` is uniform. Draws the permutation's keys from `rng`.
    pub fn new(n: u64, alpha: f64, rng: &mut Rng) -> Popularity {
        if alpha == 0.0 {
            Popularity::Uniform { n }
        } else {
            Popularity::Zipf {
                zipf: Zipf::new(n, alpha),
                perm: Permutation::new(n, rng),
            }
        }
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        match self {
            Popularity::Uniform { n } => rng.below(*n),
            Popularity::Zipf { zipf, perm } => perm.apply(zipf.sample(rng) - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sampled frequencies follow k^-q (checked on the top ranks).
    #[test]
    fn zipf_frequencies() {
        for q in [0.5, 1.0, 1.1, 2.0] {
            let n = 1000;
            let z = Zipf::new(n, q);
            let mut rng = Rng::new(11);
            let mut count = vec![0u64; n as usize + 1];
            let draws = 200_000;
            for _ in 0..draws {
                let k = z.sample(&mut rng);
                assert!((1..=n).contains(&k));
                count[k as usize] += 1;
            }
            let norm: f64 = (1..=n).map(|k| (k as f64).powf(-q)).sum();
            for k in 1..=3u64 {
                let want = draws as f64 * (k as f64).powf(-q) / norm;
                let got = count[k as usize] as f64;
                assert!(
                    (got - want).abs() < 0.05 * want + 50.0,
                    "q={q} k={k} got {got} want {want}"
                );
            }
        }
    }

    #[test]
    fn huge_footprints_cost_nothing() {
        let n = 1u64 << 40;
        let mut rng = Rng::new(5);
        let p = Popularity::new(n, 0.99, &mut rng);
        for _ in 0..1000 {
            assert!(p.sample(&mut rng) < n);
        }
        let z = Zipf::new(1, 1.2);
        assert_eq!(z.sample(&mut rng), 1);
    }
}
