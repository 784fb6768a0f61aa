//! PLACEHOLDER (replaced by the vector-math helper's module at merge): lane-wise math and its
//! scalar twins (bit-identical by construction here: the lanes map the scalar functions).
pub const LANES: usize = 8;
pub type Lanes = [f64; LANES];

#[inline(always)]
pub fn exp1(x: f64) -> f64 {
    x.exp()
}
#[inline(always)]
pub fn ln1(x: f64) -> f64 {
    x.ln()
}
#[inline(always)]
pub fn normal_inverse1(p: f64) -> f64 {
    crate::engine::sampling::fast_normal_inverse(p)
}
#[inline(always)]
pub fn root1(x: f64, n: f64) -> f64 {
    if n == 2.0 {
        x.sqrt()
    } else if n == 1.0 {
        x
    } else {
        x.powf(1.0 / n)
    }
}
#[inline(always)]
pub fn exp(x: Lanes) -> Lanes {
    x.map(exp1)
}
#[inline(always)]
pub fn ln(x: Lanes) -> Lanes {
    x.map(ln1)
}
#[inline(always)]
pub fn normal_inverse(p: Lanes) -> Lanes {
    p.map(normal_inverse1)
}
#[inline(always)]
pub fn root(x: Lanes, n: f64) -> Lanes {
    x.map(|v| root1(v, n))
}
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}
