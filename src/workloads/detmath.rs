//! `exp`, `ln`, `exp_m1` and `ln_1p` from IEEE basic operations only.
//!
//! Why not `f64::exp`: those call the platform's libm, whose last-bit results differ
//! between C libraries and their versions. The Zipf sampler turns these values into
//! page numbers, so one ulp of difference could change a generated trace. `+ - * /`
//! and exact operations (`round`, bit manipulation) are correctly rounded everywhere,
//! so functions built from them give the same bits on every machine, forever. They are
//! accurate to a few ulp, which is all a sampler needs.

/// ln 2 split as in fdlibm: LN2_HI has its low 32 bits zero, so k * LN2_HI is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// ln 2 - LN2_HI.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const INV_LN2: f64 = std::f64::consts::LOG2_E;

/// `x * 2^k` by at most three exact multiplications by powers of two.
fn scale2(mut x: f64, mut k: i64) -> f64 {
    while k > 1023 {
        x *= f64::from_bits(2046u64 << 52); // 2^1023
        k -= 1023;
    }
    while k < -1022 {
        x *= f64::from_bits(1u64 << 52); // 2^-1022
        k += 1022;
    }
    x * f64::from_bits(((k + 1023) as u64) << 52)
}

/// e^x.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.79 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    // x = k ln2 + r with |r| <= ln2 / 2; e^r by its Taylor series (|error| < 1e-17).
    let k = (x * INV_LN2).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut p = INV_FACT[13];
    for f in INV_FACT[1..13].iter().rev() {
        p = p * r + f;
    }
    // p is now sum_{i>=1} r^(i-1)/i!; e^r = 1 + r p.
    scale2(1.0 + r * p, k as i64)
}

/// 1/i! for i in 0..14, evaluated at compile time (IEEE arithmetic there too).
const INV_FACT: [f64; 14] = {
    let mut a = [1.0; 14];
    let mut f = 1.0;
    let mut i = 1;
    while i < 14 {
        f *= i as f64;
        a[i] = 1.0 / f;
        i += 1;
    }
    a
};

/// 1/(2i+1) for i in 0..12: the coefficients of the atanh series.
const INV_ODD: [f64; 12] = {
    let mut a = [1.0; 12];
    let mut i = 0;
    while i < 12 {
        a[i] = 1.0 / (2 * i + 1) as f64;
        i += 1;
    }
    a
};

/// The natural logarithm (x > 0; 0 gives -inf, negatives NaN).
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    let mut bits = x.to_bits();
    let mut e: i64 = 0;
    if bits >> 52 == 0 {
        // Subnormal: scale into the normal range first.
        bits = (x * f64::from_bits((1023 + 54) << 52)).to_bits();
        e -= 54;
    }
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52)); // [1, 2)
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172: the odd series to s^23.
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let mut p = 0.0;
    for c in INV_ODD.iter().rev() {
        p = p * z + c;
    }
    let lnm = 2.0 * s * p;
    let ef = e as f64;
    ef * LN2_HI + (ef * LN2_LO + lnm)
}

/// ln(1 + x), accurate for small x (Goldberg's correction).
pub fn ln_1p(x: f64) -> f64 {
    let u = 1.0 + x;
    if u == 1.0 { x } else { ln(u) * x / (u - 1.0) }
}

/// e^x - 1, accurate for small x (Kahan's correction).
pub fn exp_m1(x: f64) -> f64 {
    let u = exp(x);
    // Away from 0, u - 1 loses nothing (and the correction could overflow).
    if x.abs() > 0.5 {
        return u - 1.0;
    }
    if u == 1.0 {
        return x;
    }
    (u - 1.0) * x / ln(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        a == b || ((a - b) / b).abs() < 1e-14
    }

    #[test]
    fn agrees_with_libm() {
        for &x in &[
            -700.0, -30.5, -1.0, -1e-9, 0.0, 1e-12, 0.3, 0.5, 1.0, 2.5, 10.0, 300.0, 709.0,
        ] {
            assert!(
                close(exp(x), x.exp()),
                "exp({x}) = {} vs {}",
                exp(x),
                x.exp()
            );
            assert!(close(exp_m1(x), x.exp_m1()), "exp_m1({x})");
        }
        for &x in &[
            1e-310, 1e-300, 1e-9, 0.1, 0.5, 0.9, 1.0, 1.5, 2.0, 3.0, 1e6, 1e300,
        ] {
            assert!(close(ln(x), x.ln()), "ln({x}) = {} vs {}", ln(x), x.ln());
        }
        for &x in &[-0.9, -1e-10, 1e-17, 1e-6, 0.25, 3.0, 1e10] {
            assert!(close(ln_1p(x), x.ln_1p()), "ln_1p({x})");
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(800.0), f64::INFINITY);
        assert_eq!(exp(-800.0), 0.0);
    }
}
