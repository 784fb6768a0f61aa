#!/usr/bin/env python3
"""Time two crmcast engines side by side, as whole processes, alternately (A, B, A, B, ...).

A is the reference (the engine before a change), B the candidate. Each is a crmcast binary or a
git commit, which is built with `cargo build --release --locked` in a temporary worktree (target
directory target/side_by_side/build, shared by the commits: dependencies compile once; the binary
is kept as target/side_by_side/crmcast-<commit>, so a second run reuses it).

Cases (the engine case always runs; the others are added by their flags, or all by --all):
  engine     run scenarios/retail_chain.toml --trials N --threads T --format json, T in --threads
             (1,2): per binary min/median/max wall time, median CPU time, trials/s from the
             median, peak RSS; the median over pairs of A's time / B's; each binary's speed-up
             from 1 to 2 threads (median over pairs of t1 / t2).
  --memory   the same at 10^8 trials on 2 threads, once per binary: peak RSS (< 64 MiB).
  --analyses report (HTML), sensitivity, voi, optimize --budget on the four shipped scenarios and
             the default calibrate, at their defaults, outputs into a temporary folder.
  --numpy    benches/python/crmcast_numpy.py on retail_chain (1e6 trials, K runs; it prints its
             own median trials/s) and each binary's ratio to it at 2 threads.

Why this way: the 2-core machine is shared and its speed drifts by tens of percent over minutes;
alternating A and B puts both under the same drift, and the median of the pairwise ratios is
robust to a slow minute. Peak RSS and CPU time come from os.wait4 (this child's own rusage).

Output: Markdown tables on standard output (--json FILE keeps every run). --write-readme puts the
tables, the date, the machine and the commits between <!-- performance:begin --> and
<!-- performance:end --> in README.md; it refuses partial results (a failed or short run, a case
left out, fewer than 3 pairs). Standard library only (Python >= 3.11).

  python3 benches/side_by_side.py f8d424e HEAD --all --write-readme
  python3 benches/side_by_side.py /work/prev/target/release/crmcast target/release/crmcast \
      --trials 200000 --pairs 3 --analyses
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ["default", "retail_chain", "small_business", "multinational"]
ENGINE_SCENARIO = "scenarios/retail_chain.toml"
MEMORY_TRIALS = 100_000_000
MEMORY_LIMIT_MIB = 64
NUMPY_TRIALS = 1_000_000
# Mitigation budgets for `optimize` (it has no default): README's and docs/OPTIMIZE.md's
# examples for retail_chain and multinational, about the same share of the mitigations' total
# expected spend for the other two.
OPTIMIZE_BUDGETS = {"default": 100_000, "retail_chain": 200_000, "small_business": 8_000,
                    "multinational": 2_000_000}
# Issue #16's ceilings, seconds, on every shipped scenario.
ANALYSIS_TARGETS = {"report": 0.6, "sensitivity": 1.0, "voi": 1.0, "optimize": 0.6,
                    "calibrate": 2.0}
# Issue #16's engine targets: retail_chain at 2 threads, against A, from 1 to 2 threads, against
# the numpy peer.
TARGET_RATE, TARGET_VS_PREVIOUS, TARGET_SCALING, TARGET_VS_NUMPY = 5e6, 3.0, 1.85, 15.0
BEGIN, END = "<!-- performance:begin -->", "<!-- performance:end -->"


@dataclass
class Run:
    """One timed process."""
    wall: float
    cpu: float           # user + sys
    max_rss_kib: int
    ok: bool
    note: str = ""


@dataclass
class Engine:
    label: str
    binary: str
    commit: str          # the commit it was built from, or "" for a given binary
    sha256: str


@dataclass
class Results:
    """Every run, keyed by case then engine label; what the tables and the README are made of."""
    pairs: int
    trials: int
    memory_trials: int = MEMORY_TRIALS
    numpy_trials: int = NUMPY_TRIALS
    runs: dict = field(default_factory=dict)       # case -> label -> [Run]
    numpy: dict | None = None                      # {"trials_per_second": x, "output": text}
    cases: list = field(default_factory=list)      # the cases asked for

    def add(self, case: str, label: str, run: Run) -> None:
        self.runs.setdefault(case, {}).setdefault(label, []).append(run)


# ---- running ------------------------------------------------------------------------------

# Peak RSS comes from GNU time: a child's ru_maxrss counts the memory of the process it was
# forked from until its exec (the kernel keeps the high-water mark across exec), so measured from
# here it would be this Python process's size (about 30 MiB), not crmcast's.
GNU_TIME = "/usr/bin/time"


def timed(cmd: list[str], stdout_path: Path, cwd: Path) -> Run:
    """Run cmd once: wall time, CPU time (user + sys, os.wait4, its children included) and peak
    RSS (GNU time's %M; -1 without it). Standard output goes to stdout_path, standard error to a
    file beside it (a pipe read only after the exit could fill and stall the child)."""
    err_path, rss_path = stdout_path.with_suffix(".err"), stdout_path.with_suffix(".rss")
    rss_path.unlink(missing_ok=True)
    if os.access(GNU_TIME, os.X_OK):
        cmd = [GNU_TIME, "-f", "%M", "-o", str(rss_path), *cmd]
    with open(stdout_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)   # reaped: Popen must not wait again
    ok = proc.returncode == 0
    note = "" if ok else (f"exit {proc.returncode}: "
                          f"{err_path.read_text(errors='replace').strip()[-300:]}")
    rss = parse_rss(rss_path.read_text()) if rss_path.exists() else -1
    return Run(wall, usage.ru_utime + usage.ru_stime, rss, ok, note)


def parse_rss(text: str) -> int:
    """GNU time's %M (KiB) from its -o file: the last line (a failed command's status comes
    first); -1 when absent."""
    lines = text.strip().splitlines()
    return int(lines[-1]) if lines and lines[-1].strip().isdigit() else -1


def check_run_json(text: str, trials: int) -> str:
    """'' when `run --format json` output is a complete run of `trials` trials, else why not."""
    try:
        run = json.loads(text)["run"]
    except (ValueError, KeyError, TypeError) as e:
        return f"unreadable JSON ({e})"
    if run.get("trials") != trials or run.get("ending") != "completed":
        return f"ran {run.get('trials')} trials, ending {run.get('ending')!r}"
    return ""


def engine_cmd(binary: str, trials: int, threads: int) -> list[str]:
    return [binary, "run", ENGINE_SCENARIO, "--trials", str(trials), "--threads", str(threads),
            "--format", "json", "--quiet"]


def analysis_cmds(binary: str, out: Path) -> dict[str, list[str]]:
    """Case name ("command scenario") -> command line, at the commands' defaults."""
    cmds = {}
    for s in SCENARIOS:
        path = f"scenarios/{s}.toml"
        cmds[f"report {s}"] = [binary, "report", path, "--format", "html", "-o",
                               str(out / f"{s}.html"), "--quiet"]
        cmds[f"sensitivity {s}"] = [binary, "sensitivity", path, "-o", str(out / f"{s}.sens"),
                                    "--quiet"]
        cmds[f"voi {s}"] = [binary, "voi", path, "-o", str(out / f"{s}.voi"), "--quiet"]
        cmds[f"optimize {s}"] = [binary, "optimize", path, "--budget",
                                 str(OPTIMIZE_BUDGETS[s]), "-o", str(out / f"{s}.opt"),
                                 "--quiet"]
    cmds["calibrate default"] = [binary, "calibrate", "-o", str(out / "calibrated.toml"),
                                 "--report", str(out / "calibrate.txt"), "--quiet"]
    return cmds


def parse_numpy(text: str) -> float:
    """crmcast_numpy.py's median trials/s, from its line
    'median 3.1 s for 1,000,000 trials = 322,000 trials/s'."""
    m = re.search(r"^median [\d.]+ s for [\d,]+ trials = ([\d,]+) trials/s", text, re.M)
    if not m:
        raise ValueError("no 'median ... trials/s' line in crmcast_numpy.py's output")
    return float(m.group(1).replace(",", ""))


def build_commit(rev: str) -> Engine:
    """Build `rev` in a temporary worktree and keep its binary as
    target/side_by_side/crmcast-<commit> (reused when present). Every commit builds into the one
    target directory target/side_by_side/build, so the dependencies are compiled once."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=REPO,
                         check=True, capture_output=True, text=True).stdout.strip()
    home = REPO / "target" / "side_by_side"
    binary = home / f"crmcast-{sha[:12]}"
    if os.access(binary, os.X_OK):
        print(f"{rev}: reusing {binary}", file=sys.stderr)
        return Engine(rev, str(binary), sha, sha256(binary))
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crmcast-sbs-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=REPO,
                       check=True, capture_output=True)
        try:
            print(f"building {rev} ({sha[:12]}) ...", file=sys.stderr, flush=True)
            subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "crmcast",
                            "--target-dir", str(home / "build")], cwd=tree, check=True)
            built = home / "build" / "release" / "crmcast"
            partial = binary.with_suffix(".partial")
            partial.write_bytes(built.read_bytes())
            partial.chmod(0o755)
            partial.replace(binary)   # whole or absent: an interrupted copy is never reused
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO,
                           capture_output=True)
    return Engine(rev, str(binary), sha, sha256(binary))


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def resolve(spec: str, label: str | None, default: str) -> Engine:
    """A binary (labelled `default` unless told) or a commit (labelled as given, e.g. f8d424e)."""
    path = Path(spec)
    if path.is_file() and os.access(path, os.X_OK):
        return Engine(label or default, str(path.resolve()), "", sha256(path))
    engine = build_commit(spec)
    if label:
        engine.label = label
    return engine


def measure(args, a: Engine, b: Engine) -> Results:
    res = Results(pairs=args.pairs, trials=args.trials, memory_trials=args.memory_trials,
                  numpy_trials=args.numpy_trials, cases=cases_asked(args))
    engines = [a, b]
    with tempfile.TemporaryDirectory(prefix="crmcast-sbs-out-") as tmp:
        out = Path(tmp)
        scratch = out / "stdout"
        for e in engines:   # untimed: binary and scenario files into the page cache
            timed(engine_cmd(e.binary, 10_000, 1), scratch, REPO)
        for k in range(args.pairs):
            for threads in args.threads:
                for e in engines:
                    r = timed(engine_cmd(e.binary, args.trials, threads), scratch, REPO)
                    if r.ok:
                        r.note = check_run_json(scratch.read_text(errors="replace"), args.trials)
                        r.ok = not r.note
                    res.add(f"engine {threads}", e.label, r)
                    progress(f"pair {k + 1}/{args.pairs} engine {threads} thread(s) {e.label}", r)
            if args.analyses:
                for e in engines:
                    (out / e.label.replace("/", "_")).mkdir(exist_ok=True)
                for name in analysis_cmds("", out):
                    for e in engines:
                        cmd = analysis_cmds(e.binary, out / e.label.replace("/", "_"))[name]
                        r = timed(cmd, scratch, REPO)
                        res.add(name, e.label, r)
                        progress(f"pair {k + 1}/{args.pairs} {name} {e.label}", r)
        if args.memory:
            for e in engines:
                r = timed(engine_cmd(e.binary, res.memory_trials, 2), scratch, REPO)
                if r.ok:
                    r.note = check_run_json(scratch.read_text(errors="replace"),
                                            res.memory_trials)
                    r.ok = not r.note
                res.add("memory", e.label, r)
                progress(f"memory {res.memory_trials:,} trials {e.label}", r)
        if args.numpy:
            cmd = [args.python, str(REPO / "benches/python/crmcast_numpy.py"), ENGINE_SCENARIO,
                   "--trials", str(res.numpy_trials), "--runs", str(args.pairs)]
            proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"crmcast_numpy.py failed:\n{proc.stderr[-2000:]}")
            res.numpy = {"trials_per_second": parse_numpy(proc.stdout),
                         "output": proc.stdout.split("\n\n")[0]}
            print(f"numpy: {res.numpy['trials_per_second']:,.0f} trials/s", file=sys.stderr)
    return res


def progress(what: str, r: Run) -> None:
    status = "" if r.ok else f"  FAILED {r.note}"
    print(f"{what}: {r.wall:.3f} s wall, {r.cpu:.3f} s CPU, {fmt_mib(r.max_rss_kib)} MiB"
          f"{status}", file=sys.stderr, flush=True)


def cases_asked(args) -> list[str]:
    return ["engine"] + [c for c in ("memory", "analyses", "numpy") if getattr(args, c)]


# ---- aggregation and tables ----------------------------------------------------------------

def spread(runs: list[Run]) -> tuple[float, float, float]:
    walls = [r.wall for r in runs]
    return min(walls), statistics.median(walls), max(walls)


def pair_ratio(num: list[Run], den: list[Run]) -> float:
    """Median over pairs of num's wall time / den's, pairing the k-th run of each."""
    if not num or len(num) != len(den):
        raise ValueError("pairwise ratio of unpaired runs")
    return statistics.median(n.wall / d.wall for n, d in zip(num, den))


def failures(res: Results) -> list[str]:
    """Why these results are not complete: failed runs, missing engines, pairs or cases."""
    why = []
    for case, by_label in res.runs.items():
        for label, runs in by_label.items():
            why += [f"{case} {label}: {r.note}" for r in runs if not r.ok]
            want = 1 if case == "memory" else res.pairs
            if case == "memory" and any(r.max_rss_kib < 0 for r in runs):
                why.append(f"memory {label}: no peak RSS (needs {GNU_TIME})")
            if len(runs) != want:
                why.append(f"{case} {label}: {len(runs)} runs, not {want}")
        if len(by_label) != 2:
            why.append(f"{case}: {len(by_label)} engines, not 2")
    for case in res.cases:
        present = [c for c in res.runs if c.split()[0] == case or
                   (case == "analyses" and c.split()[0] in ANALYSIS_TARGETS)]
        if case != "numpy" and not present:
            why.append(f"{case}: no runs")
    if "numpy" in res.cases and not res.numpy:
        why.append("numpy: no figure")
    return why


def fmt_mib(kib: int) -> str:
    return f"{kib / 1024:.1f}" if kib >= 0 else "?"


def fmt_rate(x: float) -> str:
    return f"{x / 1e6:.2f} M/s" if x >= 1e6 else f"{x / 1e3:.0f} k/s"


def engine_table(res: Results, a: Engine, b: Engine, threads: list[int]) -> str:
    rows = ["| engine | threads | wall min / median / max (s) | CPU median (s) | trials/s "
            "(median) | peak RSS (MiB) |", "|---|---|---|---|---|---|"]
    for t in threads:
        for e in (a, b):
            runs = res.runs[f"engine {t}"][e.label]
            lo, med, hi = spread(runs)
            cpu = statistics.median(r.cpu for r in runs)
            rss = max(r.max_rss_kib for r in runs)
            rows.append(f"| {e.label} | {t} | {lo:.3f} / {med:.3f} / {hi:.3f} | {cpu:.3f} | "
                        f"{fmt_rate(res.trials / med)} | {fmt_mib(rss)} |")
    lines = ["\n".join(rows), ""]
    for t in threads:
        r = pair_ratio(res.runs[f"engine {t}"][a.label], res.runs[f"engine {t}"][b.label])
        lines.append(f"- {b.label} against {a.label}, {t} thread(s): **{r:.2f}×** "
                     f"(median over {res.pairs} pair(s) of A's time / B's)")
    if 1 in threads and 2 in threads:
        for e in (a, b):
            r = pair_ratio(res.runs["engine 1"][e.label], res.runs["engine 2"][e.label])
            lines.append(f"- {e.label}, 1 → 2 threads: **{r:.2f}×**")
    return "\n".join(lines)


def memory_table(res: Results, a: Engine, b: Engine) -> str:
    rows = [f"| engine | {res.memory_trials:,} trials, 2 threads: wall (s) | peak RSS (MiB) | "
            f"< {MEMORY_LIMIT_MIB} MiB |", "|---|---|---|---|"]
    for e in (a, b):
        r = res.runs["memory"][e.label][0]
        mib = r.max_rss_kib / 1024
        rows.append(f"| {e.label} | {r.wall:.1f} | {fmt_mib(r.max_rss_kib)} | "
                    f"{'yes' if 0 <= mib < MEMORY_LIMIT_MIB else 'NO'} |")
    return "\n".join(rows)


def analyses_table(res: Results, a: Engine, b: Engine) -> str:
    rows = [f"| command | scenario | {a.label} median (s) | {b.label} median (s) | speed-up | "
            f"{b.label} CPU (s) | target (s) | met |", "|---|---|---|---|---|---|---|---|"]
    for case in (c for c in res.runs if c.split()[0] in ANALYSIS_TARGETS):
        command, scenario = case.split()
        ra, rb = res.runs[case][a.label], res.runs[case][b.label]
        ma, mb = spread(ra)[1], spread(rb)[1]
        target = ANALYSIS_TARGETS[command]
        rows.append(f"| `{command}` | {scenario} | {ma:.3f} | {mb:.3f} | "
                    f"{pair_ratio(ra, rb):.2f}× | {statistics.median(r.cpu for r in rb):.3f} | "
                    f"{target:g} | {'yes' if mb <= target else 'NO'} |")
    return "\n".join(rows)


def numpy_lines(res: Results, a: Engine, b: Engine) -> str:
    rate = res.numpy["trials_per_second"]
    lines = [f"- numpy peer (`benches/python/crmcast_numpy.py`, one thread, median of "
             f"{res.pairs} × {res.numpy_trials:,} trials): {fmt_rate(rate)}"]
    for e in (a, b):
        med = spread(res.runs["engine 2"][e.label])[1]
        lines.append(f"- {e.label} at 2 threads against numpy: **{res.trials / med / rate:.1f}×**")
    return "\n".join(lines)


def machine() -> dict:
    info = {"model": "unknown", "cores": os.cpu_count(), "simd": []}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    info["model"] = m.group(1).strip() if m else info["model"]
    m = re.search(r"^(?:flags|Features)\s*:\s*(.+)$", text, re.M)
    flags = set(m.group(1).split()) if m else set()
    wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl",
              "asimd", "sve", "sve2"]
    info["simd"] = [f for f in wanted if f in flags]
    return info


def describe(e: Engine) -> str:
    if e.commit:
        return f"{e.label}: commit {e.commit[:12]} (binary sha256 {e.sha256})"
    return f"{e.label}: binary `{e.binary}` (sha256 {e.sha256})"


def target_lines(res: Results, a: Engine, b: Engine) -> str:
    """Issue #16's engine targets for B, each with the figure measured and whether it is met
    (only those whose cases ran)."""
    rows = ["| issue #16 target (B) | measured | met |", "|---|---|---|"]

    def row(name: str, value: str, met: bool) -> None:
        rows.append(f"| {name} | {value} | {'yes' if met else 'NO'} |")

    engine = res.runs.get("engine 2", {})
    if b.label in engine:
        rate = res.trials / spread(engine[b.label])[1]
        row(f"≥ {TARGET_RATE / 1e6:g} M trials/s at 2 threads", fmt_rate(rate),
            rate >= TARGET_RATE)
        ratio = pair_ratio(engine[a.label], engine[b.label])
        row(f"≥ {TARGET_VS_PREVIOUS:g}× A at 2 threads", f"{ratio:.2f}×",
            ratio >= TARGET_VS_PREVIOUS)
        if b.label in res.runs.get("engine 1", {}):
            scale = pair_ratio(res.runs["engine 1"][b.label], engine[b.label])
            row(f"≥ {TARGET_SCALING:g}× from 1 to 2 threads", f"{scale:.2f}×",
                scale >= TARGET_SCALING)
        if res.numpy:
            vs = rate / res.numpy["trials_per_second"]
            row(f"≥ {TARGET_VS_NUMPY:g}× the numpy peer", f"{vs:.1f}×", vs >= TARGET_VS_NUMPY)
    if "memory" in res.runs:
        kib = res.runs["memory"][b.label][0].max_rss_kib
        row(f"peak RSS < {MEMORY_LIMIT_MIB} MiB at {res.memory_trials:,} trials",
            f"{fmt_mib(kib)} MiB", 0 <= kib < MEMORY_LIMIT_MIB * 1024)
    analyses = [c for c in res.runs if c.split()[0] in ANALYSIS_TARGETS]
    if analyses:
        met = [spread(res.runs[c][b.label])[1] <= ANALYSIS_TARGETS[c.split()[0]]
               for c in analyses]
        row("every analysis within its ceiling", f"{sum(met)} of {len(met)}", all(met))
    return "\n".join(rows)


def render(res: Results, a: Engine, b: Engine, threads: list[int], meta: dict) -> str:
    parts = [f"Measured {meta['date']} on {meta['machine']['model']}, "
             f"{meta['machine']['cores']} cores, SIMD flags {', '.join(meta['machine']['simd'])}"
             f" (load average {meta['load_before']} before, {meta['load_after']} after). "
             f"A = {describe(a)}; B = {describe(b)}; harness at {meta['harness']}. Whole "
             f"processes, alternately A, B over {res.pairs} pair(s) "
             "(`python3 benches/side_by_side.py`, docs/PERFORMANCE.md).", "",
             f"`crmcast run {ENGINE_SCENARIO} --trials {res.trials:,} --format json`:", "",
             engine_table(res, a, b, threads)]
    if "memory" in res.runs:
        parts += ["", memory_table(res, a, b)]
    if res.numpy:
        parts += ["", numpy_lines(res, a, b)]
    if any(c.split()[0] in ANALYSIS_TARGETS for c in res.runs):
        parts += ["", "Analyses at their defaults (medians of the pairs; `optimize` budgets "
                  + ", ".join(f"{s} {v:,}" for s, v in OPTIMIZE_BUDGETS.items()) + "):", "",
                  analyses_table(res, a, b)]
    parts += ["", target_lines(res, a, b)]
    return "\n".join(parts)


def replace_between_markers(text: str, body: str) -> str:
    """text with what lies between the performance markers replaced by body."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise ValueError(f"README needs exactly one {BEGIN} followed by one {END}")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{body.strip()}\n{END}{tail}"


def readme_refusals(res: Results, threads: list[int]) -> list[str]:
    why = failures(res)
    missing = [c for c in ("engine", "memory", "analyses", "numpy") if c not in res.cases]
    if missing:
        why.append("the README needs every case (--all); missing: " + ", ".join(missing))
    if sorted(threads) != [1, 2]:
        why.append("the README needs --threads 1,2")
    if "memory" in res.cases and res.memory_trials < MEMORY_TRIALS:
        why.append(f"the memory case needs {MEMORY_TRIALS:,} trials")
    if "numpy" in res.cases and res.numpy_trials < NUMPY_TRIALS:
        why.append(f"the numpy case needs {NUMPY_TRIALS:,} trials")
    if res.pairs < 3:
        why.append(f"{res.pairs} pairs: a median needs at least 3")
    return why


def loadavg() -> str:
    """The 1-minute load average: how quiet the machine was."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except (OSError, IndexError):
        return "?"


def harness_commit() -> str:
    def git(*a):
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True).stdout
    head = git("rev-parse", "--short=12", "HEAD").strip() or "unknown"
    return head + (" (modified)" if git("status", "--porcelain", "--untracked-files=no") else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("a", help="reference: a crmcast binary or a git commit")
    ap.add_argument("b", help="candidate: a crmcast binary or a git commit")
    ap.add_argument("--label-a"), ap.add_argument("--label-b")
    ap.add_argument("--pairs", "-k", type=int, default=7, help="A, B pairs per case (7)")
    ap.add_argument("--trials", type=int, default=10_000_000, help="engine case (10,000,000)")
    ap.add_argument("--threads", default="1,2", help="engine case thread counts (1,2)")
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--memory-trials", type=int, default=MEMORY_TRIALS,
                    help="memory case trials (10^8; the README takes no fewer)")
    ap.add_argument("--analyses", action="store_true")
    ap.add_argument("--numpy", action="store_true")
    ap.add_argument("--numpy-trials", type=int, default=NUMPY_TRIALS,
                    help="numpy case trials (10^6; the README takes no fewer)")
    ap.add_argument("--all", action="store_true", help="--memory --analyses --numpy")
    ap.add_argument("--python", default=sys.executable, help="Python with numpy, for --numpy")
    ap.add_argument("--json", help="write every run here")
    ap.add_argument("--write-readme", action="store_true")
    ap.add_argument("--readme", default=str(REPO / "README.md"))
    args = ap.parse_args(argv)
    if args.all:
        args.memory = args.analyses = args.numpy = True
    args.threads = sorted({int(t) for t in args.threads.split(",")})
    if args.pairs < 1 or args.trials < 1 or min(args.threads) < 1:
        ap.error("--pairs, --trials and --threads must be positive")
    if args.numpy and 2 not in args.threads:
        ap.error("--numpy compares at 2 threads: --threads must include 2")
    try:
        a, b = resolve(args.a, args.label_a, "A"), resolve(args.b, args.label_b, "B")
    except subprocess.CalledProcessError as e:
        detail = e.stderr or ""
        detail = (detail.decode(errors="replace") if isinstance(detail, bytes) else detail).strip()
        print(f"could not build: {' '.join(map(str, e.cmd))} exited {e.returncode}"
              + (f": {detail}" if detail else ""), file=sys.stderr)
        return 2
    if a.label == b.label:
        ap.error("A and B need different labels")
    load_before = loadavg()
    res = measure(args, a, b)
    meta = {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(), "harness": harness_commit(), "load_before": load_before,
            "load_after": loadavg()}
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"meta": meta, "engines": [asdict(a), asdict(b)], "pairs": res.pairs,
             "trials": res.trials, "memory_trials": res.memory_trials, "numpy": res.numpy,
             "runs": {c: {lab: [asdict(r) for r in rs] for lab, rs in by.items()}
                      for c, by in res.runs.items()}}, indent=1))
    broken = failures(res)
    for why in broken:
        print(f"incomplete: {why}", file=sys.stderr)
    if broken:
        return 1
    table = render(res, a, b, args.threads, meta)
    print(table)
    if args.write_readme:
        refusals = readme_refusals(res, args.threads)
        if refusals:
            print("README not written:\n  " + "\n  ".join(refusals), file=sys.stderr)
            return 1
        readme = Path(args.readme)
        readme.write_text(replace_between_markers(readme.read_text(), table))
        print(f"wrote {readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
