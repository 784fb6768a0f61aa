#!/usr/bin/env python3
"""A vectorised Python/numpy implementation of crmcast's Monte Carlo model (outcome model v2).

It re-implements docs/MODEL.md (the contract of src/engine/trial.rs and src/model/) from the
same input files: data/catalogue.toml, data/defaults.toml and a scenario file, resolved the way
src/scenario/validate.rs does it. It exists to time crmcast beside an honest numpy version of
the same model, and to check that both give the same statistics (see compare.py).

Outcome model v2 (crmcast commit 60af0a1) adds the runaway ("black swan") mechanism, which this
file implements as src/engine/trial.rs `evaluate_all` / `physical` / `primary_cause` do:

* Inputs: the catalogue's `[runaway]` table (base_probability b0, size_min x_m, tail alpha,
  schedule phi), each key overridable by the scenario's `[project.runaway]`, and a fourth
  impact `runaway` r_i per factor (overridable by `[factors.X.impact] runaway = ...`).
* Draws: two more uniforms per trial, u_trigger and u_size, shared by every strategy.
  E = -ln(1 - u_trigger), E' = -ln(1 - u_size); lambda0 = -ln(1 - b0).
* Per strategy: load L = sum of r_i s_i over the present factors (mitigated severities); the
  project runs away iff L > ln(E / lambda0) (P = 1 - exp(-lambda0 e^L); never if b0 = 0);
  ln Y = ln x_m + E'/alpha (Pareto). With R = ln Y in a runaway, else 0:
  T = exp(log duration plan + sum d_i s_i + phi R),
  C = exp(log cost plan + sum c_i s_i + R) + burn * max(T - 1, 0).
* Primary cause: a runaway's R (and phi R of log duration) is shared among the present
  factors in proportion to r_i s_i / L.
* New figures, as src/analysis/report.rs computes them: p_runaway, p_deviation_10
  (P(|overrun| > 10 %), read off the cost sketch with Sketch::count_above), tail_index (Hill
  over the cost ratio's worst sixth, TailSketch::hill), outlay_mean and outlay_p50/p80/p90
  (investment incl. mitigations / budget - 1, from an outlay sketch).

Differences from crmcast, all of them distribution-preserving:

* Random numbers come from numpy's default_rng (PCG64, ziggurat normals), drawn a whole chunk
  at a time, not from Xoshiro256++ per 16,384-trial batch. The results agree with crmcast up to
  Monte Carlo error, not bit for bit.
* A lognormal mitigation cost is drawn as exp(mu + sigma * normal) instead of through the
  inverse CDF of a uniform (same distribution; numpy has no vectorised Phi^-1).
* Means are merged per chunk (two-pass mean and M2 per chunk, Chan's formula across chunks)
  rather than by Welford's update per trial.

Not implemented: parameter uncertainty (`--parameter-uncertainty`, `[uncertainty]`), structured
sampling designs, outside view. Input checking is minimal: run `crmcast validate` on a scenario
first; this script assumes the file is valid (and a v2 catalogue, with `[runaway]`).

Usage:
    python3 benches/python/crmcast_numpy.py scenarios/retail_chain.toml --trials 1000000 --runs 5
    python3 benches/python/crmcast_numpy.py scenarios/default.toml --trials 200000 --runs 3 \
        --json /tmp/numpy.json   # every metric (value, se), incl. p_runaway, tail_index, ...
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


def _blas_threads_from_argv() -> None:
    """`--blas-threads N` must act before numpy loads OpenBLAS. The default is 1: the only
    BLAS calls are small matrix products ((k,18)x(18,18), (k,18)x(18,2)), and OpenBLAS's
    threads made them slower, not faster, on the 2-core machine this was measured on."""
    if __name__ != "__main__":
        return
    value = None
    for i, a in enumerate(sys.argv):
        if a == "--blas-threads" and i + 1 < len(sys.argv):
            value = sys.argv[i + 1]
        elif a.startswith("--blas-threads="):
            value = a.split("=", 1)[1]
    if value == "0":
        os.environ.pop("OPENBLAS_NUM_THREADS", None)   # OpenBLAS default: one per core
    elif value is not None:
        os.environ["OPENBLAS_NUM_THREADS"] = value
    else:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_blas_threads_from_argv()

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
LEVERS = ["new_customers", "churn_reduction", "spend_per_customer",
          "items_per_purchase", "purchase_frequency"]
Z95 = 1.959963984540054
BLACK_SWAN_SHARE = 1.0 / 6.0
DEVIATION = 0.10


def phi_inverse(p: float) -> float:
    """Phi^-1(p) with the engine's conventions at 0 and 1."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    return statistics.NormalDist().inv_cdf(p)


# ---------------------------------------------------------------------------------------------
# Distributions (docs/MODEL.md §2, §13)
# ---------------------------------------------------------------------------------------------

def continuous(raw: dict) -> tuple:
    """A `{value}`, `{min, max}`, `{min, mode, max}` or `{low, high, confidence}` table."""
    if "value" in raw:
        return ("fixed", float(raw["value"]))
    if "low" in raw:
        conf = float(raw.get("confidence", 0.9))
        z = phi_inverse(0.5 + 0.5 * conf)
        lo, hi = math.log(raw["low"]), math.log(raw["high"])
        return ("lognormal", 0.5 * (lo + hi), (hi - lo) / (2.0 * z))
    if "mode" in raw:
        return ("triangular", float(raw["min"]), float(raw["mode"]), float(raw["max"]))
    return ("uniform", float(raw["min"]), float(raw["max"]))


def severity(raw: dict) -> tuple:
    kind = raw["kind"]
    if kind == "fixed":
        return ("fixed", float(raw["value"]))
    if kind == "uniform":
        return ("uniform", float(raw["min"]), float(raw["max"]))
    if kind == "triangular":
        return ("triangular", float(raw["min"]), float(raw["mode"]), float(raw["max"]))
    if kind == "kumaraswamy":
        return ("kumaraswamy", float(raw["a"]), float(raw["b"]))
    raise ValueError(f"unknown severity kind {kind!r}")


def triangular_inverse(u, lo, mode, hi):
    width = hi - lo
    if width <= 0.0:
        return np.full_like(u, lo)
    split = (mode - lo) / width
    left = lo + np.sqrt(u * (width * (mode - lo)))
    right = hi - np.sqrt((1.0 - u) * (width * (hi - mode)))
    return np.where(u < split, left, right)


def root(x, n):
    """x^(1/n) with the sqrt / identity fast paths of the Rust code."""
    if n == 2.0:
        return np.sqrt(x)
    if n == 1.0:
        return x
    return np.power(x, 1.0 / n)


def inverse_cdf(dist: tuple, u):
    """Quantile function of a severity or a continuous input, on an array of uniforms."""
    kind = dist[0]
    if kind == "fixed":
        return np.full_like(u, dist[1])
    if kind == "uniform":
        return dist[1] + u * (dist[2] - dist[1])
    if kind == "triangular":
        return triangular_inverse(u, *dist[1:])
    if kind == "kumaraswamy":
        a, b = dist[1], dist[2]
        return root(1.0 - root(1.0 - u, b), a)
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------------
# Scenario resolution (src/scenario/validate.rs, src/model/catalogue.rs)
# ---------------------------------------------------------------------------------------------

@dataclass
class Model:
    name: str
    factor_ids: list
    categories: list            # category id per factor
    groups: list                # cause-group id per factor
    group_ids: list             # all cause groups, catalogue order
    probability: np.ndarray     # (N,)
    severities: list            # per factor, tuple
    impact: np.ndarray          # (N, 4): benefit, cost, schedule, runaway
    chol: np.ndarray            # (N, N) lower Cholesky factor of R
    estimate: dict
    runaway: dict               # base_probability, size_min, tail, schedule (model v2, §5a)
    objectives: dict
    failure: dict
    burn: float
    failed_share: float
    budget: float
    duration_years: float
    horizon: float
    rate: float
    benefits: dict
    mitigation_ids: list
    mitigation_cost: list       # per mitigation, continuous tuple
    strategy_ids: list
    baseline: int
    membership: np.ndarray      # (S, M) 0/1: strategy buys mitigation
    threshold: np.ndarray       # (S, N) Phi^-1(p * prod m_prob)
    severity_scale: np.ndarray  # (S, N) prod m_sev
    trials: int = 100_000
    seed: int = 20011
    extra: dict = field(default_factory=dict)


def load_model(scenario_path: str | Path, repo: Path = REPO) -> Model:
    with open(repo / "data" / "catalogue.toml", "rb") as f:
        cat = tomllib.load(f)
    with open(repo / "data" / "defaults.toml", "rb") as f:
        defaults = tomllib.load(f)
    with open(scenario_path, "rb") as f:
        sc = tomllib.load(f)

    # Factors: catalogue order, scenario overrides (probability, severity, partial impact).
    factors = [dict(f) for f in cat["factors"]]
    ids = [f["id"] for f in factors]
    for name, over in sc.get("factors", {}).items():
        f = factors[ids.index(name)]
        if "probability" in over:
            f["probability"] = over["probability"]
        if "severity" in over:
            f["severity"] = over["severity"]
        if "impact" in over:
            f["impact"] = {**f["impact"], **over["impact"]}
    n = len(factors)

    # Correlation matrix (MODEL.md §3): within category, category pairs, default, then pairs.
    within = {c["id"]: c["within_correlation"] for c in cat["categories"]}
    pairs = [(p["a"], p["b"], p["rho"]) for p in cat.get("category_correlations", [])]
    default_between = cat["correlation"]["default_between"]
    r = np.eye(n)
    for i in range(n):
        for j in range(i):
            a, b = factors[i]["category"], factors[j]["category"]
            if a == b:
                rho = within[a]
            else:
                rho = next((p[2] for p in pairs if (p[0], p[1]) in ((a, b), (b, a))),
                           default_between)
            r[i, j] = r[j, i] = rho
    for pair in sc.get("correlations", []):
        a, b = (ids.index(x) for x in pair["factors"])
        r[a, b] = r[b, a] = pair["rho"]
    chol = np.linalg.cholesky(r)  # raises LinAlgError when R is not positive-definite

    project = sc["project"]
    estimate = {**cat["estimate"], **project.get("estimate", {})}
    # Outcome model v2: the catalogue's [runaway] table, each key overridable by
    # [project.runaway] (src/model/catalogue.rs `runaway`).
    runaway = {k: float(v) for k, v in {**cat["runaway"], **project.get("runaway", {})}.items()}
    objectives = {**defaults["objectives"], **project.get("objectives", {})}
    failure = {**defaults["failure"], **project.get("failure", {})}

    raw_benefits = sc["benefits"]
    if raw_benefits["model"] == "direct":
        benefits = {"model": "direct", "annual": continuous(raw_benefits["annual"])}
    else:
        given = raw_benefits.get("levers", {})
        benefits = {
            "model": "levers",
            "revenue": float(raw_benefits["baseline_revenue"]),
            "margin": float(raw_benefits["margin"]),
            "churn_rate": float(raw_benefits.get("churn_rate", defaults["levers"]["churn_rate"])),
            "uplifts": [continuous(given.get(k, defaults["levers"][k])) for k in LEVERS],
        }

    mitigations = sc.get("mitigations", [])
    mit_ids = [m["id"] for m in mitigations]
    strategies = sc["strategies"]
    s_count, m_count = len(strategies), len(mitigations)
    membership = np.zeros((s_count, m_count))
    prob_scale = np.ones((s_count, n))
    sev_scale = np.ones((s_count, n))
    for k, s in enumerate(strategies):
        for name in s.get("mitigations", []):
            m = mit_ids.index(name)
            membership[k, m] = 1.0
            for e in mitigations[m]["effects"]:
                i = ids.index(e["factor"])
                prob_scale[k, i] *= e.get("probability", 1.0)
                sev_scale[k, i] *= e.get("severity", 1.0)
    probability = np.array([float(f["probability"]) for f in factors])
    threshold = np.array([[phi_inverse(probability[i] * prob_scale[k, i]) for i in range(n)]
                          for k in range(s_count)])
    baseline = [k for k, s in enumerate(strategies) if s.get("baseline", False)]
    assert len(baseline) == 1, "exactly one strategy must be the baseline"

    sim = sc.get("simulation", {})
    return Model(
        name=sc["scenario"]["name"],
        factor_ids=ids,
        categories=[f["category"] for f in factors],
        groups=[f["cause_group"] for f in factors],
        group_ids=[g["id"] for g in cat["groups"]],
        probability=probability,
        severities=[severity(f["severity"]) for f in factors],
        impact=np.array([[f["impact"]["benefit"], f["impact"]["cost"], f["impact"]["schedule"],
                          f["impact"]["runaway"]] for f in factors], dtype=float),
        chol=chol,
        estimate=estimate,
        runaway=runaway,
        objectives=objectives,
        failure=failure,
        burn=float(project.get("team_burn_share", defaults["team_burn_share"])),
        failed_share=float(project.get("failed_benefit_share", defaults["failed_benefit_share"])),
        budget=float(project["budget"]),
        duration_years=float(project["duration_months"]) / 12.0,
        horizon=float(project["horizon_years"]),
        rate=float(project["discount_rate"]),
        benefits=benefits,
        mitigation_ids=mit_ids,
        mitigation_cost=[continuous(m["cost"]) for m in mitigations],
        strategy_ids=[s["id"] for s in strategies],
        baseline=baseline[0],
        membership=membership,
        threshold=threshold,
        severity_scale=sev_scale,
        trials=int(sim.get("trials", 100_000)),
        seed=int(sim.get("seed", 20011)),
        extra={"correlation": r},
    )


# ---------------------------------------------------------------------------------------------
# Quantile sketch (src/engine/sketch.rs): same fixed log-linear buckets, vectorised
# ---------------------------------------------------------------------------------------------

MANTISSA_BITS = 7
SUB = 1 << MANTISSA_BITS
EXP_MIN, EXP_MAX = -16, 16
PER_SIGN = (EXP_MAX - EXP_MIN) * SUB
BUCKETS = 2 * PER_SIGN + 1
RELATIVE_ERROR = 1.0 / (2 * SUB)
SMALLEST = 2.0 ** EXP_MIN


def bucket(x: np.ndarray) -> np.ndarray:
    mag = np.abs(x)
    bits = mag.view(np.uint64)
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023
    mantissa = ((bits >> np.uint64(52 - MANTISSA_BITS)) & np.uint64(SUB - 1)).astype(np.int64)
    offset = np.where(exponent >= EXP_MAX, PER_SIGN - 1, (exponent - EXP_MIN) * SUB + mantissa)
    index = np.where(x > 0.0, PER_SIGN + 1 + offset, PER_SIGN - 1 - offset)
    # NaN compares false, so it also lands in the zero bucket.
    return np.where(mag >= SMALLEST, index, PER_SIGN)


def representative(index: np.ndarray) -> np.ndarray:
    index = np.asarray(index)
    sign = np.where(index > PER_SIGN, 1.0, -1.0)
    offset = np.where(index > PER_SIGN, index - PER_SIGN - 1, PER_SIGN - 1 - index)
    exponent = offset // SUB + EXP_MIN
    mantissa = offset % SUB
    scale = np.ldexp(1.0, exponent)
    value = sign * scale * (1.0 + (mantissa + 0.5) / SUB)
    return np.where(index == PER_SIGN, 0.0, value)


REPRESENTATIVE = representative(np.arange(BUCKETS))


def sketch_quantile(counts: np.ndarray, q: float) -> tuple:
    """(value, low, high) exactly as Sketch::quantile."""
    n = float(counts.sum())
    cum = np.cumsum(counts)

    def at(rank: float) -> float:
        rank = min(max(rank, 1.0), max(n, 1.0))
        return float(REPRESENTATIVE[np.searchsorted(cum, rank)])

    half = Z95 * math.sqrt(n * q * (1.0 - q))
    value = at(max(math.ceil(q * n), 1.0))
    low = at(max(math.floor(n * q - half), 1.0))
    high = at(min(math.ceil(n * q + half) + 1.0, n))
    return value, low - abs(low) * RELATIVE_ERROR, high + abs(high) * RELATIVE_ERROR


def upper_tail(counts, vsum, vsq, csum, csq, share):
    """TailSketch::upper_tail: mean of the top `share` and of its companion, with SEs."""
    n = float(counts.sum())
    wanted = max(share * n, 1.0)
    count = s = sq = cs = csq_ = 0.0
    threshold = math.nan
    for index in np.nonzero(counts)[0][::-1]:
        c = float(counts[index])
        take = min(wanted - count, c) / c
        count += take * c
        s += take * vsum[index]
        sq += take * vsq[index]
        cs += take * csum[index]
        csq_ += take * csq[index]
        threshold = vsum[index] / c
        if count >= wanted:
            break
    mean = s / count
    var = max(sq / count - mean * mean, 0.0)
    se = math.sqrt((var + (1.0 - share) * (mean - threshold) ** 2) / (n * share))
    cmean = cs / count
    cvar = max(csq_ / count - cmean * cmean, 0.0)
    return mean, se, cmean, math.sqrt(cvar / count)


def bucket_bounds(index: int) -> tuple:
    """sketch::bucket_bounds: the range [low, high) of values a bucket holds."""
    if index == PER_SIGN:
        return -SMALLEST, SMALLEST
    if index > PER_SIGN:
        sign, offset = 1.0, index - PER_SIGN - 1
    else:
        sign, offset = -1.0, PER_SIGN - 1 - index
    exponent = offset // SUB + EXP_MIN
    mantissa = float(offset % SUB)
    low = math.ldexp(1.0, exponent) * (1.0 + mantissa / SUB)
    high = math.ldexp(1.0, exponent) * (1.0 + (mantissa + 1.0) / SUB)
    return (low, high) if sign > 0.0 else (-high, -low)


def count_above(counts: np.ndarray, x: float) -> float:
    """Sketch::count_above: observations above x, the bucket holding x counted in proportion
    to the part of its range above x (not an integer in general)."""
    at = int(bucket(np.array([x], dtype=float))[0])
    above = float(counts[at + 1:].sum())
    low, high = bucket_bounds(at)
    part = min(max((high - x) / (high - low), 0.0), 1.0) if high > low else 0.0
    return above + part * float(counts[at])


def hill(counts, vsum, share):
    """TailSketch::hill: Hill's tail index over the largest `share` of observations, each read
    as its bucket's mean, with the asymptotic standard error alpha/sqrt(k)."""
    alpha, se, _ = _hill(counts, vsum, share)
    return alpha, se


def hill_resolution(counts, vsum, share) -> float:
    """How far the sketch's Hill estimate can move with where the tail's edge falls inside its
    bucket: TailSketch::hill takes the mean of the straddling bucket as the threshold u, so
    alpha follows a sawtooth whose teeth are alpha² · ln(high/low of that bucket) tall (about
    0.09 at alpha = 4). Two correct runs may differ by up to this much beyond Monte Carlo
    error; compare.py allows for it."""
    alpha, _, index = _hill(counts, vsum, share)
    if index is None or not math.isfinite(alpha):
        return math.nan
    low, high = bucket_bounds(index)
    return alpha * alpha * math.log(high / low)


def _hill(counts, vsum, share):
    n = float(counts.sum())
    wanted = max(share * n, 1.0)
    count = log_sum = 0.0
    threshold, edge = math.nan, None
    for index in np.nonzero(counts)[0][::-1]:
        c = float(counts[index])
        mean = vsum[index] / c
        if mean <= 0.0:
            break
        take = min(wanted - count, c)
        count += take
        log_sum += take * math.log(mean)
        threshold, edge = mean, int(index)
        if count >= wanted:
            break
    if count < 2.0 or math.isnan(threshold):
        return math.nan, math.nan, None
    excess = log_sum / count - math.log(threshold)
    if excess <= 0.0:
        return math.nan, math.nan, None
    alpha = 1.0 / excess
    return alpha, alpha / math.sqrt(count), edge


# ---------------------------------------------------------------------------------------------
# Accumulators
# ---------------------------------------------------------------------------------------------

class Moments:
    """Mean and M2, merged chunk by chunk with Chan's formula."""

    __slots__ = ("count", "mean", "m2")

    def __init__(self):
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def add_chunk(self, x: np.ndarray):
        k = x.shape[0]
        if k == 0:
            return
        mean = float(x.mean())
        d = x - mean
        m2 = float(np.dot(d, d))
        if self.count == 0:
            self.count, self.mean, self.m2 = k, mean, m2
            return
        total = self.count + k
        delta = mean - self.mean
        self.mean += delta * k / total
        self.m2 += m2 + delta * delta * self.count * k / total
        self.count = total

    def merge(self, other: "Moments"):
        """Chan's formula: this accumulator then `other`."""
        if other.count == 0:
            return
        if self.count == 0:
            self.count, self.mean, self.m2 = other.count, other.mean, other.m2
            return
        total = self.count + other.count
        delta = other.mean - self.mean
        self.mean += delta * other.count / total
        self.m2 += other.m2 + delta * delta * self.count * other.count / total
        self.count = total

    def estimate(self):
        var = self.m2 / (self.count - 1) if self.count > 1 else 0.0
        return self.mean, math.sqrt(var / self.count) if self.count else 0.0


MOMENTS = ["overrun", "slip", "benefit_realisation", "annual_benefit", "npv", "roi",
           "investment", "success"]
PAIRED = MOMENTS + ["failed", "npv_negative"]
SKETCHES = ["cost_ratio", "duration_ratio", "npv_per_budget", "roi", "benefit_realisation",
            "payback_years", "outlay_ratio"]
LEAN_MOMENTS = ["overrun", "npv"]
LEAN_SKETCHES = ["cost_ratio", "npv_per_budget"]


class StrategyAccumulator:
    def __init__(self, n_factors: int, full: bool):
        self.full = full
        self.trials = 0
        self.class_counts = np.zeros(3, dtype=np.int64)
        self.overrun_at_least_double = 0
        self.npv_negative = 0
        self.payback_within_horizon = 0
        self.runaways = 0                      # trials in which the project ran away (v2)
        names = MOMENTS if full else LEAN_MOMENTS
        self.moments = {k: Moments() for k in names}
        self.sketch = {k: np.zeros(BUCKETS, dtype=np.int64)
                       for k in (SKETCHES if full else LEAN_SKETCHES)}
        # TailSketch sums for the cost ratio (value, value², slip, slip²).
        self.tail = np.zeros((4, BUCKETS))
        self.primary_cause = np.zeros(n_factors + 1, dtype=np.int64)
        self.presence = np.zeros(n_factors, dtype=np.int64)
        self.paired = {k: Moments() for k in PAIRED} if full else {}
        self.beats_baseline = 0

    def merge(self, other: "StrategyAccumulator"):
        """Add `other` (the same strategy, other trials) into this accumulator."""
        for name in ("trials", "overrun_at_least_double", "npv_negative",
                     "payback_within_horizon", "runaways", "beats_baseline"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.class_counts += other.class_counts
        self.tail += other.tail
        self.primary_cause += other.primary_cause
        self.presence += other.presence
        for k in self.sketch:
            self.sketch[k] += other.sketch[k]
        for mine, theirs in ((self.moments, other.moments), (self.paired, other.paired)):
            for k in mine:
                mine[k].merge(theirs[k])


# ---------------------------------------------------------------------------------------------
# The simulation (docs/MODEL.md §3-§9), vectorised over a chunk of trials
# ---------------------------------------------------------------------------------------------

class Simulator:
    def __init__(self, model: Model, full: bool = True):
        self.m = model
        self.full = full
        n = len(model.factor_ids)
        self.n = n
        self.b, self.c, self.d, self.r = (np.ascontiguousarray(model.impact[:, k])
                                          for k in range(4))
        # (N, 3): one product gives Σ c s, Σ d s and the runaway load L = Σ r s.
        self.cdr = np.ascontiguousarray(model.impact[:, 1:])
        # Runaway (outcome model v2, docs/MODEL.md §5a): λ0 = −ln(1 − b0), ln x_m, α, φ.
        ra = model.runaway
        self.base_hazard = -math.log1p(-ra["base_probability"])
        self.log_size_min = math.log(ra["size_min"])
        self.runaway_tail = ra["tail"]
        self.runaway_schedule = ra["schedule"]
        self.chol_t = np.ascontiguousarray(model.chol.T)
        # Severity columns grouped by identical distribution, for one vectorised call each.
        groups: dict = {}
        for i, s in enumerate(model.severities):
            groups.setdefault(s, []).append(i)
        self.sev_groups = sorted(((s, np.array(cols)) for s, cols in groups.items()),
                                 key=lambda g: -len(g[1]))
        # Per strategy: the columns whose severity is scaled (log keep recomputed for those).
        self.scaled_cols = [np.nonzero(model.severity_scale[k] != 1.0)[0]
                            for k in range(len(model.strategy_ids))]
        o = model.objectives
        room = lambda x: max(x, 0.01)  # noqa: E731
        self.inverse_room = np.array([
            1.0 / room(-math.log(max(o["min_benefit_realisation"], 1e-9))),
            1.0 / room(math.log1p(o["max_overrun"])),
            1.0 / room(math.log1p(o["max_slip"])),
        ])
        ir = self.inverse_room
        self.gain = np.array([self.c * ir[1] * (j & 1) + self.d * ir[2] * (j >> 1)
                              for j in range(4)])
        e = model.estimate
        self.cs_complement = math.sqrt(1.0 - e["cost_schedule_correlation"] ** 2)
        self.force = math.log1p(model.rate)
        self.horizon_factor = math.exp(-self.force * model.horizon)
        self.lognormal_costs = [j for j, c in enumerate(model.mitigation_cost)
                                if c[0] == "lognormal"]
        self.benefit_dims = 1 if model.benefits["model"] == "direct" else 5

    # --- draws ---------------------------------------------------------------------------
    def draw(self, rng: np.random.Generator, k: int):
        m = self.m
        n = self.n
        e = rng.standard_normal((k, n))
        v = rng.random((k, n))
        eta = rng.standard_normal((k, 3))
        ru = rng.random((2, k))                               # runaway trigger and size
        # Benefit and mitigation uniforms are stored one row per variable (contiguous rows).
        bu = rng.random((self.benefit_dims, k))
        mu = rng.random((len(m.mitigation_cost), k))
        z = e @ self.chol_t                                   # z = L e, row-wise
        # Severities: the most common distribution on the whole array, then the other
        # factors' columns overwritten (no gather/scatter for the bulk).
        (bulk, _), rest = self.sev_groups[0], self.sev_groups[1:]
        sev = inverse_cdf(bulk, v)
        for dist, cols in rest:
            sev[:, cols] = inverse_cdf(dist, v[:, cols])
        mit = np.empty_like(mu)
        for j, dist in enumerate(m.mitigation_cost):
            if dist[0] == "lognormal":
                # Same distribution as exp(mu + sigma * Phi^-1(u)).
                mit[j] = np.exp(dist[1] + dist[2] * rng.standard_normal(k))
            else:
                mit[j] = inverse_cdf(dist, mu[j])
        return z, sev, eta, ru, bu, mit

    def annual_full(self, bu):
        b = self.m.benefits
        if b["model"] == "direct":
            dist = b["annual"]
            if dist[0] == "lognormal":
                raise NotImplementedError("lognormal direct benefit")
            return inverse_cdf(dist, bu[0])
        x = [inverse_cdf(b["uplifts"][i], bu[i]) for i in range(5)]
        mult = (1.0 + x[0]) * (1.0 + b["churn_rate"] * x[1]) * (1.0 + x[2]) * (1.0 + x[3]) \
            * (1.0 + x[4])
        return b["revenue"] * b["margin"] * (mult - 1.0)

    def present_value(self, annual, start):
        h = self.m.horizon
        if abs(self.force) < 1e-12:
            pv = annual * (h - start)
        else:
            pv = annual * (np.exp(-self.force * start) - self.horizon_factor) / self.force
        return np.where((start >= h) | (annual == 0.0), 0.0, pv)

    # --- one chunk -------------------------------------------------------------------------
    def chunk(self, rng, k, acc):
        m, full = self.m, self.full
        z, sev0, eta, ru, bu, mit = self.draw(rng, k)
        est = m.estimate
        log_cost_plan = est["log_cost_mean"] + est["log_cost_sd"] * eta[:, 0]
        log_duration_plan = est["log_schedule_mean"] + est["log_schedule_sd"] * (
            est["cost_schedule_correlation"] * eta[:, 0] + self.cs_complement * eta[:, 1])
        sd = est["benefit_sd"]
        noise = np.exp(sd * eta[:, 2] - 0.5 * sd * sd)
        annual_full = self.annual_full(bu)
        # The runaway's draws, shared by every strategy: unit exponentials E, E' by inversion;
        # the project runs away iff L > ln(E/λ0) (λ0 = 0: never); ln Y = ln x_m + E'/α.
        trigger = -np.log1p(-ru[0])
        if self.base_hazard > 0.0:
            with np.errstate(divide="ignore"):               # E = 0 gives −inf: always
                runaway_threshold = np.log(trigger / self.base_hazard)
        else:
            runaway_threshold = np.full(k, np.inf)
        runaway_log_size = self.log_size_min - np.log1p(-ru[1]) / self.runaway_tail
        phi = self.runaway_schedule
        keep0 = np.log(np.maximum(1.0 - self.b * sev0, 1e-12))   # ln(1 - b s), unscaled
        mit_cost = m.membership @ mit                              # (S, k)
        obj, fail = m.objectives, m.failure
        base_out = None
        order = [m.baseline] + [s for s in range(len(m.strategy_ids)) if s != m.baseline]
        for s in order:
            present = z < m.threshold[s]
            # Multiplying by the mask is several times faster than np.where(present, ., 0.0);
            # both factors are finite, so the result is identical.
            x = sev0 * present                                     # severity where present
            kp = keep0 * present                                   # ln(1 - b s) where present
            cols = self.scaled_cols[s]
            if cols.size:
                # Mitigated severities; ln(1 - b s) is recomputed for those columns only
                # (absent factors have x = 0, so their term stays ln 1 = 0).
                x *= m.severity_scale[s]
                kp[:, cols] = np.log(np.maximum(1.0 - self.b[cols] * x[:, cols], 1e-12))
            cdr = x @ self.cdr                                     # (k, 3): Σ c s, Σ d s, L
            load = cdr[:, 2]
            # Mitigations only lower L, so a mitigated strategy runs away only where the
            # baseline does, by the same Y (common random numbers).
            runaway = load > runaway_threshold
            ry = np.where(runaway, runaway_log_size, 0.0)          # R_y = ln Y or 0
            realisation = np.minimum(noise * np.exp(kp.sum(axis=1)), 1.0)
            duration = np.exp(log_duration_plan + cdr[:, 1] + phi * ry)
            cost = np.exp(log_cost_plan + cdr[:, 0] + ry) + m.burn * np.maximum(duration - 1.0, 0.0)
            overrun = cost - 1.0
            slip = duration - 1.0
            broken_b = realisation < obj["min_benefit_realisation"]
            broken_c = overrun > obj["max_overrun"]
            broken_d = slip > obj["max_slip"]
            missed = broken_b | broken_c | broken_d
            failed = missed & ((realisation < fail["benefit_realisation_below"])
                               | (overrun >= fail["overrun_at_least"]))
            cls = missed.astype(np.int8) + failed                 # 0 success, 1 challenged, 2 failed
            rep = np.where(failed, realisation * m.failed_share, realisation)
            annual = annual_full * rep
            investment = m.budget * cost + mit_cost[s]
            go_live = m.duration_years * duration
            npv = self.present_value(annual, go_live) - investment

            a = acc[s]
            a.trials += k
            a.class_counts += np.bincount(cls, minlength=3)
            a.npv_negative += int(np.count_nonzero(npv < 0.0))
            a.runaways += int(np.count_nonzero(runaway))
            a.moments["overrun"].add_chunk(overrun)
            a.moments["npv"].add_chunk(npv)
            a.sketch["cost_ratio"] += np.bincount(bucket(cost), minlength=BUCKETS)
            a.sketch["npv_per_budget"] += np.bincount(bucket(npv / m.budget), minlength=BUCKETS)
            if not full:
                continue

            roi = npv / investment
            with np.errstate(divide="ignore"):
                payback = np.where(annual <= 0.0, np.inf, go_live + investment / annual)
            success = (cls == 0).astype(float)
            vals = {"overrun": overrun, "slip": slip, "benefit_realisation": rep,
                    "annual_benefit": annual, "npv": npv, "roi": roi, "investment": investment,
                    "success": success, "failed": failed.astype(float),
                    "npv_negative": (npv < 0.0).astype(float)}
            a.overrun_at_least_double += int(np.count_nonzero(overrun >= 1.0))
            a.payback_within_horizon += int(np.count_nonzero(payback <= m.horizon))
            for name in ("slip", "benefit_realisation", "annual_benefit", "roi", "investment",
                         "success"):
                a.moments[name].add_chunk(vals[name])
            bc = bucket(cost)
            a.tail[0] += np.bincount(bc, weights=cost, minlength=BUCKETS)
            a.tail[1] += np.bincount(bc, weights=cost * cost, minlength=BUCKETS)
            a.tail[2] += np.bincount(bc, weights=slip, minlength=BUCKETS)
            a.tail[3] += np.bincount(bc, weights=slip * slip, minlength=BUCKETS)
            a.sketch["duration_ratio"] += np.bincount(bucket(duration), minlength=BUCKETS)
            a.sketch["outlay_ratio"] += np.bincount(bucket(investment / m.budget),
                                                    minlength=BUCKETS)
            a.sketch["roi"] += np.bincount(bucket(roi), minlength=BUCKETS)
            a.sketch["benefit_realisation"] += np.bincount(bucket(rep), minlength=BUCKETS)
            a.sketch["payback_years"] += np.bincount(bucket(np.minimum(payback, 1e4)),
                                                     minlength=BUCKETS)
            a.presence += np.count_nonzero(present, axis=0)

            # Primary cause (§9) of every trial that missed: weights are 1/room on the broken
            # channels only, so successful rows score 0 everywhere and are dropped below.
            # gain[j] = c/room_c·[cost broken] + d/room_d·[slip broken] for j = 2·slip + cost.
            channel = broken_c.astype(np.intp) + 2 * broken_d
            contribution = x * np.take(self.gain, channel, axis=0)
            contribution -= kp * (broken_b * self.inverse_room[0])[:, None]
            # A runaway's R_y (and φ·R_y of log duration) is shared among the present factors
            # in proportion to r_i s_i / L: factor i adds r_i s_i · R_y/L · (w_c + φ·w_d).
            # Zero wherever the trial did not run away, so only those rows are touched.
            rows = np.nonzero(runaway & missed & (load > 0.0))[0]
            if rows.size:
                w = (ry[rows] / load[rows]) * (broken_c[rows] * self.inverse_room[1]
                                               + phi * broken_d[rows] * self.inverse_room[2])
                contribution[rows] += (x[rows] * self.r) * w[:, None]
            best = contribution.argmax(axis=1)          # first maximum: ties go to the earlier
            top = np.take_along_axis(contribution, best[:, None], axis=1)[:, 0]
            cause = np.where(top > 0.0, best, self.n)
            a.primary_cause += np.bincount(cause[missed], minlength=self.n + 1)

            if base_out is None:
                base_out = vals
            for name in PAIRED:
                a.paired[name].add_chunk(vals[name] - base_out[name])
            a.beats_baseline += int(np.count_nonzero(npv > base_out["npv"]))

    def run(self, trials: int, seed: int, chunk: int = 65_536):
        acc = [StrategyAccumulator(self.n, self.full) for _ in self.m.strategy_ids]
        rng = np.random.default_rng(seed)
        done = 0
        while done < trials:
            k = min(chunk, trials - done)
            self.chunk(rng, k, acc)
            done += k
        return acc

    def run_batches(self, trials: int, seed: int, batches: int, chunk: int = 65_536):
        """`trials` split into `batches` independent runs (one generator, consecutive draws),
        each with its own accumulators: for batch-means standard errors (compare.py).
        merge_runs() of the result has the distribution of one run of `trials`."""
        rng = np.random.default_rng(seed)
        out = []
        for b in range(batches):
            size = trials // batches + (b < trials % batches)
            acc = [StrategyAccumulator(self.n, self.full) for _ in self.m.strategy_ids]
            done = 0
            while done < size:
                k = min(chunk, size - done)
                self.chunk(rng, k, acc)
                done += k
            out.append(acc)
        return out


def merge_runs(runs: list) -> list:
    """One accumulator per strategy holding all of `runs` (lists from run or run_batches)."""
    merged = [StrategyAccumulator(len(a.presence), a.full) for a in runs[0]]
    for acc in runs:
        for mine, theirs in zip(merged, acc):
            mine.merge(theirs)
    return merged


# ---------------------------------------------------------------------------------------------
# Report: the same metric ids and standard errors as src/analysis/report.rs
# ---------------------------------------------------------------------------------------------

def proportion(count, n):
    """Estimate::proportion / proportion_of (a count read off a sketch need not be whole)."""
    p = min(max(count / max(n, 1), 0.0), 1.0)
    return p, math.sqrt(p * (1.0 - p) / max(n, 1))


def quantile_metric(counts, q, f):
    value, low, high = sketch_quantile(counts, q)
    return f(value), (f(high) - f(low)) / (2.0 * Z95)


def report(model: Model, acc: list) -> dict:
    out = {}
    budget = model.budget
    for sid, a in zip(model.strategy_ids, acc):
        n = a.trials
        r = {
            "p_success": proportion(a.class_counts[0], n),
            "p_challenged": proportion(a.class_counts[1], n),
            "p_failed": proportion(a.class_counts[2], n),
            "p_missed_objectives": proportion(n - a.class_counts[0], n),
            "overrun_mean": a.moments["overrun"].estimate(),
            "npv_mean": a.moments["npv"].estimate(),
            "p_npv_negative": proportion(a.npv_negative, n),
            "p_runaway": proportion(a.runaways, n),
        }
        # Budzier & Flyvbjerg's "deviate by more than 10 %", either way, from the cost sketch.
        cost = a.sketch["cost_ratio"]
        deviating = count_above(cost, 1.0 + DEVIATION) + n - count_above(cost, 1.0 - DEVIATION)
        r["p_deviation_10"] = proportion(deviating, n)
        for q in (0.5, 0.8, 0.9):
            r[f"overrun_p{round(q * 100)}"] = quantile_metric(a.sketch["cost_ratio"], q,
                                                              lambda x: x - 1.0)
        for q in (0.1, 0.5, 0.9):
            r[f"npv_p{round(q * 100)}"] = quantile_metric(a.sketch["npv_per_budget"], q,
                                                          lambda x: x * budget)
        if a.full:
            for q in (0.5, 0.8, 0.9):
                r[f"slip_p{round(q * 100)}"] = quantile_metric(a.sketch["duration_ratio"], q,
                                                               lambda x: x - 1.0)
            for q in (0.1, 0.5, 0.9):
                r[f"roi_p{round(q * 100)}"] = quantile_metric(a.sketch["roi"], q, lambda x: x)
            r["payback_p50"] = quantile_metric(a.sketch["payback_years"], 0.5, lambda x: x)
            r["p_overrun_100"] = proportion(a.overrun_at_least_double, n)
            r["p_payback_in_horizon"] = proportion(a.payback_within_horizon, n)
            for name in ("slip", "benefit_realisation", "annual_benefit", "investment", "roi"):
                r[f"{name}_mean"] = a.moments[name].estimate()
            mean, se, cmean, cse = upper_tail(a.sketch["cost_ratio"], *a.tail, BLACK_SWAN_SHARE)
            r["black_swan_overrun"] = (mean - 1.0, se)
            r["black_swan_slip"] = (cmean, cse)
            r["tail_index"] = hill(a.sketch["cost_ratio"], a.tail[0], BLACK_SWAN_SHARE)
            inv_mean, inv_se = a.moments["investment"].estimate()
            r["outlay_mean"] = (inv_mean / budget - 1.0, inv_se / budget)
            for q in (0.5, 0.8, 0.9):
                r[f"outlay_p{round(q * 100)}"] = quantile_metric(a.sketch["outlay_ratio"], q,
                                                                 lambda x: x - 1.0)
            missed = n - int(a.class_counts[0])
            for g in model.group_ids:
                count = sum(int(a.primary_cause[i]) for i, fg in enumerate(model.groups)
                            if fg == g)
                if g == "other":
                    count += int(a.primary_cause[-1])
                r[f"group_{g}"] = proportion(count, missed)
            r["unattributed"] = proportion(int(a.primary_cause[-1]), missed)
            for i, fid in enumerate(model.factor_ids):
                r[f"cause_{fid}"] = proportion(int(a.primary_cause[i]), missed)
            if sid != model.strategy_ids[model.baseline]:
                for name in PAIRED:
                    r[f"delta_{name}"] = a.paired[name].estimate()
                r["p_beats_baseline"] = proportion(a.beats_baseline, n)
        out[sid] = {k: (float(v[0]), float(v[1])) for k, v in r.items()}
    return out


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", default=str(REPO / "scenarios" / "retail_chain.toml"))
    ap.add_argument("--trials", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=None,
                    help="numpy seed (default: the scenario's [simulation] seed)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs; the median is reported")
    ap.add_argument("--chunk", type=int, default=65_536, help="trials per vectorised chunk")
    ap.add_argument("--outputs", choices=["full", "lean"], default="full",
                    help="full: everything crmcast accumulates (default); lean: class counts, "
                         "mean overrun and NPV, P(NPV<0), overrun and NPV quantiles only")
    ap.add_argument("--blas-threads", default=None,
                    help="OpenBLAS threads for the matrix products (default 1; 0 = OpenBLAS's "
                         "own default, one per core). Everything else in numpy is one thread")
    ap.add_argument("--json", help="write the statistics of the last run (value, se) here")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    model = load_model(args.scenario)
    sim = Simulator(model, full=args.outputs == "full")
    setup = time.perf_counter() - t0
    seed = model.seed if args.seed is None else args.seed

    times, cpu, acc = [], [], None
    for r in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        acc = sim.run(args.trials, seed + r, args.chunk)   # a fresh stream per run
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    stats = report(model, acc)
    med = statistics.median(times)
    threads = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                              "MKL_NUM_THREADS") if os.environ.get(k)}
    print(f"scenario {model.name!r}: {len(model.factor_ids)} factors, "
          f"{len(model.strategy_ids)} strategies, {len(model.mitigation_ids)} mitigations")
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, outputs={args.outputs}, "
          f"chunk={args.chunk}, thread env={threads or 'default'}; setup {setup * 1e3:.1f} ms "
          f"(not timed)")
    print("runs (s): " + ", ".join(f"{t:.3f}" for t in times))
    print(f"median {med:.3f} s for {args.trials:,} trials = {args.trials / med:,.0f} trials/s"
          f" (CPU time: median {statistics.median(cpu):.3f} s)")
    base = model.strategy_ids[model.baseline]
    print(f"\n{'strategy':<22}{'P(success)':>11}{'P(failed)':>10}{'overrun':>9}"
          f"{'ovr P80':>9}{'NPV mean':>13}{'NPV P50':>13}{'P(NPV<0)':>9}{'P(runaway)':>11}")
    for sid, r in stats.items():
        tag = " *" if sid == base else ""
        print(f"{sid + tag:<22}{r['p_success'][0]:>11.4f}{r['p_failed'][0]:>10.4f}"
              f"{r['overrun_mean'][0]:>9.4f}{r['overrun_p80'][0]:>9.4f}"
              f"{r['npv_mean'][0]:>13,.0f}{r['npv_p50'][0]:>13,.0f}{r['p_npv_negative'][0]:>9.4f}"
              f"{r['p_runaway'][0]:>11.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"scenario": str(args.scenario), "trials": args.trials,
                       "outputs": args.outputs, "chunk": args.chunk, "times": times, "cpu_times": cpu,
                       "median_seconds": med, "trials_per_second": args.trials / med,
                       "numpy": np.__version__, "strategies": stats}, f, indent=1)


if __name__ == "__main__":
    main()
