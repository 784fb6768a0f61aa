//! The search over subsets of mitigations on the screening trials: exhaustive up to
//! [`super::EXHAUSTIVE_UP_TO`] mitigations, a greedy-plus-local-search heuristic beyond; and the
//! efficient frontier of any set of evaluated candidates (`docs/OPTIMIZE.md` §3, §5).
//!
//! On the screening trials every candidate's estimate is a deterministic function of the
//! subset (common random numbers, fixed seed), so "better" is an exact comparison and the
//! search is reproducible: ties go to the smaller spend, then to the smaller bit mask.

use super::evaluate::{Evaluator, Trials, members};
use super::{HeuristicTrace, Objective, Screened};
use crate::error::Error;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Mitigations in the heuristic's core, whose subsets within the budget are all evaluated
/// (2^12 = 4,096 at most).
pub const CORE: usize = 12;

/// What the search needs to know about the problem.
pub struct Problem<'a> {
    pub objective: Objective,
    /// Expected cost of each mitigation, in file order.
    pub costs: &'a [f64],
    pub budget: f64,
    pub trials: Trials,
}

impl Problem<'_> {
    /// Σ of the members' expected costs, summed in file order.
    pub fn spend(&self, mask: u64) -> f64 {
        members(mask).map(|m| self.costs[m]).sum()
    }

    /// Within the budget, to 10⁻⁹ relative (a budget equal to a sum of costs admits it).
    pub fn fits(&self, spend: f64) -> bool {
        within_budget(spend, self.budget)
    }

    pub fn full_mask(&self) -> u64 {
        match self.costs.len() {
            64 => u64::MAX,
            m => (1u64 << m) - 1,
        }
    }
}

pub fn within_budget(spend: f64, budget: f64) -> bool {
    spend <= budget + 1e-9 * budget.max(1.0)
}

/// The order of candidates: higher score first, then smaller spend, then smaller mask.
pub fn rank(a: (f64, f64, u64), b: (f64, f64, u64)) -> Ordering {
    b.0.total_cmp(&a.0)
        .then(a.1.total_cmp(&b.1))
        .then(a.2.cmp(&b.2))
}

/// Indices of the efficient frontier of `(mask, spend, score)` points: sorted by spend, each
/// point kept when its score is strictly higher than every cheaper (or equally cheap, better
/// ranked) point's. Spend and score both increase along it.
pub fn frontier(points: &[(u64, f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (points[i], points[j]);
        a.1.total_cmp(&b.1)
            .then(b.2.total_cmp(&a.2))
            .then(a.0.cmp(&b.0))
    });
    let mut best = f64::NEG_INFINITY;
    let mut kept = Vec::new();
    for i in order {
        if points[i].2 > best {
            best = points[i].2;
            kept.push(i);
        }
    }
    kept
}

/// Screen candidates on the screening trials, in order.
fn screen(evaluator: &Evaluator, problem: &Problem, masks: &[u64]) -> Result<Vec<Screened>, Error> {
    let objective = problem.objective;
    evaluator.each(masks, problem.trials, objective.series(), |mask, values| {
        Screened {
            mask,
            spend: problem.spend(mask),
            estimate: objective.estimate(values),
        }
    })
}

/// Every subset of the mitigations (2^M of them).
pub fn exhaustive(evaluator: &Evaluator, problem: &Problem) -> Result<Vec<Screened>, Error> {
    let masks: Vec<u64> = (0..=problem.full_mask()).collect();
    screen(evaluator, problem, &masks)
}

/// Evaluated candidates by mask (a BTreeMap, so that nothing depends on hashing).
struct Memo<'e, 'a> {
    evaluator: &'e Evaluator<'a>,
    problem: &'e Problem<'e>,
    seen: BTreeMap<u64, Screened>,
}

impl Memo<'_, '_> {
    /// Evaluate the masks not seen yet (all at once, in parallel).
    fn ensure(&mut self, masks: impl IntoIterator<Item = u64>) -> Result<(), Error> {
        let mut new: Vec<u64> = masks
            .into_iter()
            .filter(|m| !self.seen.contains_key(m))
            .collect();
        new.sort_unstable();
        new.dedup();
        if new.is_empty() {
            return Ok(());
        }
        for s in screen(self.evaluator, self.problem, &new)? {
            self.seen.insert(s.mask, s);
        }
        Ok(())
    }

    fn score(&self, mask: u64) -> f64 {
        self.problem
            .objective
            .score(self.seen[&mask].estimate.value)
    }

    fn key(&self, mask: u64) -> (f64, f64, u64) {
        (self.score(mask), self.seen[&mask].spend, mask)
    }

    /// Add mitigations one at a time from the empty set: each step evaluates every addition (that
    /// fits the budget when `constrained`) and takes the one with the largest improvement per
    /// unit of expected cost (`by_ratio`; a free mitigation that improves comes first) or the
    /// largest improvement; it stops when no addition improves the objective. Returns the path
    /// (the empty set first).
    fn greedy(&mut self, constrained: bool, by_ratio: bool) -> Result<Vec<u64>, Error> {
        let problem = self.problem;
        let mut current = 0u64;
        self.ensure([current])?;
        let mut path = vec![current];
        loop {
            let additions: Vec<(usize, u64)> = (0..problem.costs.len())
                .filter(|&m| current >> m & 1 == 0)
                .map(|m| (m, current | 1 << m))
                .filter(|&(_, mask)| !constrained || problem.fits(problem.spend(mask)))
                .collect();
            self.ensure(additions.iter().map(|&(_, mask)| mask))?;
            let here = self.score(current);
            let mut best: Option<(f64, f64, usize, u64)> = None;
            for &(m, mask) in &additions {
                let gain = self.score(mask) - here;
                if gain <= 0.0 {
                    continue;
                }
                let cost = problem.costs[m];
                let key = if !by_ratio {
                    gain
                } else if cost > 0.0 {
                    gain / cost
                } else {
                    f64::INFINITY
                };
                let better = match best {
                    None => true,
                    Some((k, g, _, _)) => key > k || (key == k && gain > g),
                };
                if better {
                    best = Some((key, gain, m, mask));
                }
            }
            match best {
                Some((_, _, _, mask)) => {
                    current = mask;
                    path.push(current);
                }
                None => return Ok(path),
            }
        }
    }

    /// Best-improvement local search within the budget from `start`: the neighbours of a
    /// subset are every subset one addition, one removal or one swap (one out, one in) away
    /// that fits the budget; move to the best neighbour while it ranks strictly higher (a better
    /// score, or the same score for less spend). Returns
    /// the local optimum and the number of moves.
    fn local_search(&mut self, start: u64) -> Result<(u64, usize), Error> {
        let problem = self.problem;
        let m = problem.costs.len();
        let mut current = start;
        let mut moves = 0;
        loop {
            let mut neighbours = Vec::new();
            for i in 0..m {
                let flipped = current ^ 1 << i;
                neighbours.push(flipped);
                if current >> i & 1 == 1 {
                    for j in 0..m {
                        if current >> j & 1 == 0 {
                            neighbours.push(flipped | 1 << j);
                        }
                    }
                }
            }
            neighbours.retain(|&mask| problem.fits(problem.spend(mask)));
            self.ensure(neighbours.iter().copied())?;
            let here = self.key(current);
            let best = neighbours
                .iter()
                .copied()
                .min_by(|&a, &b| rank(self.key(a), self.key(b)));
            match best {
                Some(next) if rank(self.key(next), here) == Ordering::Less => {
                    current = next;
                    moves += 1;
                }
                _ => return Ok((current, moves)),
            }
        }
    }
}

/// The mitigations of the heuristic's core, at most [`CORE`]: those the greedy paths take, in
/// the order they take them (the spanning path first), then the others by their improvement
/// per unit cost when added to the empty set (a free one first, then by mask).
fn core(problem: &Problem, memo: &Memo, paths: [&Vec<u64>; 3]) -> Vec<usize> {
    let mut core: Vec<usize> = Vec::new();
    for path in paths {
        for step in path.windows(2) {
            let m = (step[1] & !step[0]).trailing_zeros() as usize;
            if !core.contains(&m) {
                core.push(m);
            }
        }
    }
    let empty = memo.score(0);
    let mut rest: Vec<(f64, usize)> = (0..problem.costs.len())
        .filter(|m| !core.contains(m))
        .map(|m| {
            let gain = memo
                .seen
                .get(&(1 << m))
                .map_or(f64::NEG_INFINITY, |_| memo.score(1 << m) - empty);
            let cost = problem.costs[m];
            (
                if cost > 0.0 {
                    gain / cost
                } else if gain > 0.0 {
                    f64::INFINITY
                } else {
                    gain
                },
                m,
            )
        })
        .collect();
    rest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    core.extend(rest.into_iter().map(|(_, m)| m));
    core.truncate(CORE);
    core.sort_unstable();
    core
}

/// The heuristic for many mitigations (`docs/OPTIMIZE.md` §3): an unconstrained greedy path by
/// improvement per unit cost (it spans the spends, for the frontier), greedy paths within the
/// budget by improvement per unit cost and by improvement; every subset within the budget of
/// a core of the [`CORE`] most promising mitigations; then best-improvement local search
/// (add, drop, swap) over all mitigations from the best within the budget found so far and
/// from each greedy end point. Returns every candidate evaluated, by mask, and the trace.
pub fn heuristic(
    evaluator: &Evaluator,
    problem: &Problem,
) -> Result<(Vec<Screened>, HeuristicTrace), Error> {
    let mut memo = Memo {
        evaluator,
        problem,
        seen: BTreeMap::new(),
    };
    let spanning = memo.greedy(false, true)?;
    let by_ratio = memo.greedy(true, true)?;
    let by_gain = memo.greedy(true, false)?;
    let core = core(problem, &memo, [&spanning, &by_ratio, &by_gain]);
    let core_subsets: Vec<u64> = (0..1u64 << core.len())
        .map(|bits| members(bits).fold(0u64, |mask, k| mask | 1 << core[k]))
        .filter(|&mask| problem.fits(problem.spend(mask)))
        .collect();
    memo.ensure(core_subsets)?;
    let best_feasible = |memo: &Memo| {
        memo.seen
            .values()
            .filter(|s| problem.fits(s.spend))
            .map(|s| memo.key(s.mask))
            .min_by(|a, b| rank(*a, *b))
            .map(|k| k.2)
            .unwrap_or(0)
    };
    let mut starts = vec![
        best_feasible(&memo),
        *by_ratio.last().unwrap_or(&0),
        *by_gain.last().unwrap_or(&0),
    ];
    starts.sort_unstable();
    starts.dedup();
    let mut moves = 0;
    for start in starts.iter().copied() {
        let (_, made) = memo.local_search(start)?;
        moves += made;
    }
    let trace = HeuristicTrace {
        core: core.len(),
        spanning_path: spanning.len() - 1,
        greedy_ratio_path: by_ratio.len() - 1,
        greedy_gain_path: by_gain.len() - 1,
        local_search_starts: starts.len(),
        local_search_moves: moves,
        evaluated: memo.seen.len(),
    };
    Ok((memo.seen.into_values().collect(), trace))
}
