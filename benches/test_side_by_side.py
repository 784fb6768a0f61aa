"""Tests of side_by_side.py's parsing, aggregation and README writing, on fake timings.

python3 -m unittest benches/test_side_by_side.py   (from the repository root; no binary runs)
"""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import side_by_side as sbs  # noqa: E402

A = sbs.Engine("old", "/bin/old", "f8d424e0000000000000000000000000000000000", "aaaa")
B = sbs.Engine("new", "/bin/new", "", "bbbb")


def run(wall, cpu=None, rss=20 * 1024, ok=True, note=""):
    return sbs.Run(wall, wall if cpu is None else cpu, rss, ok, note)


def complete(pairs=3, trials=10_000_000):
    """Results with every case: B 4× faster than A at 1 thread, 6× at 2."""
    res = sbs.Results(pairs=pairs, trials=trials,
                      cases=["engine", "memory", "analyses", "numpy"])
    for k in range(pairs):
        jitter = 1 + 0.01 * k
        res.add("engine 1", "old", run(10.0 * jitter))
        res.add("engine 1", "new", run(2.5 * jitter))
        res.add("engine 2", "old", run(6.0 * jitter))
        res.add("engine 2", "new", run(1.0 * jitter))
        for case in ("report retail_chain", "calibrate default"):
            res.add(case, "old", run(2.0))
            res.add(case, "new", run(0.5))
    res.add("memory", "old", run(90.0, rss=19_000))
    res.add("memory", "new", run(20.0, rss=30_000))
    res.numpy = {"trials_per_second": 300_000.0, "output": ""}
    return res


META = {"date": "2026-12-06 08:00 UTC", "harness": "abc (modified)", "load_before": "0.1",
        "load_after": "0.2", "machine": {"model": "AMD EPYC", "cores": 2, "simd": ["avx2"]}}


class Aggregation(unittest.TestCase):
    def test_spread_is_min_median_max_of_wall(self):
        self.assertEqual(sbs.spread([run(3.0), run(1.0), run(2.0), run(10.0), run(2.5)]),
                         (1.0, 2.5, 10.0))

    def test_pair_ratio_is_median_of_pairwise_ratios_not_ratio_of_medians(self):
        a = [run(10.0), run(4.0), run(9.0)]
        b = [run(5.0), run(1.0), run(9.0)]
        # pairwise 2, 4, 1 -> median 2; the ratio of medians would be 9 / 5 = 1.8
        self.assertEqual(sbs.pair_ratio(a, b), 2.0)

    def test_pair_ratio_refuses_unpaired_runs(self):
        with self.assertRaises(ValueError):
            sbs.pair_ratio([run(1.0)], [run(1.0), run(2.0)])

    def test_engine_table_gives_rates_ratios_and_thread_speedup(self):
        text = sbs.engine_table(complete(), A, B, [1, 2])
        self.assertIn("| new | 2 | 1.000 / 1.010 / 1.020 |", text)
        self.assertIn("9.90 M/s", text)                 # 1e7 trials / 1.01 s
        self.assertIn("new against old, 1 thread(s): **4.00×**", text)
        self.assertIn("new against old, 2 thread(s): **6.00×**", text)
        self.assertIn("new, 1 → 2 threads: **2.50×**", text)
        self.assertIn("old, 1 → 2 threads: **1.67×**", text)

    def test_numpy_ratio_uses_two_threads_median(self):
        text = sbs.numpy_lines(complete(), A, B)
        self.assertIn("300 k/s", text)
        self.assertIn("new at 2 threads against numpy: **33.0×**", text)   # 9.90 M / 300 k

    def test_memory_and_analyses_tables_mark_the_limits(self):
        res = complete()
        res.runs["memory"]["new"][0].max_rss_kib = 70 * 1024
        self.assertIn("| new | 20.0 | 70.0 | NO |", sbs.memory_table(res, A, B))
        table = sbs.analyses_table(res, A, B)
        self.assertIn("| `report` | retail_chain | 2.000 | 0.500 | 4.00× | 0.500 | 0.6 | yes |",
                      table)
        self.assertIn("| `calibrate` | default | 2.000 | 0.500 | 4.00× | 0.500 | 2 | yes |", table)
        for k in range(3):
            res.add("optimize multinational", "old", run(1.0))
            res.add("optimize multinational", "new", run(0.61 + 0.1 * k, cpu=0.9))
        self.assertIn("| `optimize` | multinational | 1.000 | 0.710 | 1.41× | 0.900 | 0.6 | NO |",
                      sbs.analyses_table(res, A, B))


class Targets(unittest.TestCase):
    def test_each_target_is_judged_on_its_figure(self):
        text = sbs.target_lines(complete(), A, B)
        self.assertIn("| ≥ 5 M trials/s at 2 threads | 9.90 M/s | yes |", text)
        self.assertIn("| ≥ 3× A at 2 threads | 6.00× | yes |", text)
        self.assertIn("| ≥ 1.85× from 1 to 2 threads | 2.50× | yes |", text)
        self.assertIn("| ≥ 15× the numpy peer | 33.0× | yes |", text)
        self.assertIn("| peak RSS < 64 MiB at 100,000,000 trials | 29.3 MiB | yes |", text)
        self.assertIn("| every analysis within its ceiling | 2 of 2 | yes |", text)

    def test_a_missed_target_says_no(self):
        res = complete()
        for r in res.runs["engine 2"]["new"]:
            r.wall *= 2.2          # 4.5 M/s, 2.73× A, 1.14× from 1 to 2 threads, 15.0× numpy
        res.runs["report retail_chain"]["new"] = [run(0.7)] * 3
        text = sbs.target_lines(res, A, B)
        self.assertIn("| ≥ 5 M trials/s at 2 threads | 4.50 M/s | NO |", text)
        self.assertIn("| ≥ 3× A at 2 threads | 2.73× | NO |", text)
        self.assertIn("| ≥ 1.85× from 1 to 2 threads | 1.14× | NO |", text)
        self.assertIn("| ≥ 15× the numpy peer | 15.0× | yes |", text)
        self.assertIn("| every analysis within its ceiling | 1 of 2 | NO |", text)


class Parsing(unittest.TestCase):
    def test_numpy_median_line(self):
        out = ("scenario 'Large retail chain': 18 factors\nruns (s): 3.1, 3.2\n"
               "median 3.150 s for 1,000,000 trials = 317,460 trials/s (CPU time: median 3.1 s)\n")
        self.assertEqual(sbs.parse_numpy(out), 317_460.0)
        with self.assertRaises(ValueError):
            sbs.parse_numpy("runs (s): 3.1\n")

    def test_run_json_must_be_complete_with_the_trials_asked(self):
        self.assertEqual(sbs.check_run_json('{"run": {"trials": 100, "ending": "completed"}}',
                                            100), "")
        self.assertIn("ran 50", sbs.check_run_json(
            '{"run": {"trials": 50, "ending": "completed"}}', 100))
        self.assertIn("interrupted", sbs.check_run_json(
            '{"run": {"trials": 100, "ending": "interrupted"}}', 100))
        self.assertIn("unreadable", sbs.check_run_json('{"run": ', 100))

    def test_gnu_time_rss_is_the_last_line(self):
        self.assertEqual(sbs.parse_rss("19924\n"), 19924)
        self.assertEqual(sbs.parse_rss("Command exited with non-zero status 2\n20100\n"), 20100)
        self.assertEqual(sbs.parse_rss(""), -1)


class Refusals(unittest.TestCase):
    def test_complete_results_are_accepted(self):
        self.assertEqual(sbs.readme_refusals(complete(), [1, 2]), [])

    def test_a_failed_run_is_refused(self):
        res = complete()
        res.add("voi default", "old", run(1.0))
        res.add("voi default", "new", run(0.1, ok=False, note="exit 2: bad flag"))
        res.runs["voi default"]["old"] *= 3
        res.runs["voi default"]["new"] += [run(0.1)] * 2
        why = sbs.failures(res)
        self.assertEqual(why, ["voi default new: exit 2: bad flag"])

    def test_missing_runs_engines_and_cases_are_refused(self):
        res = complete()
        res.runs["engine 2"]["new"].pop()
        del res.runs["report retail_chain"]["new"]
        res.numpy = None
        why = "\n".join(sbs.readme_refusals(res, [1, 2]))
        self.assertIn("engine 2 new: 2 runs, not 3", why)
        self.assertIn("report retail_chain: 1 engines, not 2", why)
        self.assertIn("numpy: no figure", why)

    def test_memory_without_rss_is_refused(self):
        res = complete()
        res.runs["memory"]["old"][0].max_rss_kib = -1
        self.assertIn("memory old: no peak RSS", "\n".join(sbs.failures(res)))

    def test_readme_needs_every_case_three_pairs_both_thread_counts_and_1e8_trials(self):
        res = complete(pairs=2)
        res.cases = ["engine", "memory"]
        res.memory_trials = 1000
        res.cases.append("numpy")
        res.numpy_trials = 1000
        for case in ("report retail_chain", "calibrate default"):
            del res.runs[case]
        why = "\n".join(sbs.readme_refusals(res, [2]))
        for part in ("missing: analyses", "--threads 1,2", "2 pairs",
                     "100,000,000 trials", "1,000,000 trials"):
            self.assertIn(part, why)


class Readme(unittest.TestCase):
    def test_only_the_text_between_the_markers_is_replaced(self):
        text = f"# x\n\n## Performance\n\nintro\n\n{sbs.BEGIN}\nold table\n{sbs.END}\n\nafter\n"
        new = sbs.replace_between_markers(text, "new table\n")
        self.assertEqual(new, f"# x\n\n## Performance\n\nintro\n\n{sbs.BEGIN}\nnew table\n"
                              f"{sbs.END}\n\nafter\n")
        self.assertEqual(sbs.replace_between_markers(new, "new table"), new)   # idempotent

    def test_missing_or_doubled_markers_are_refused(self):
        for text in ("no markers", f"{sbs.END}\n{sbs.BEGIN}", f"{sbs.BEGIN}{sbs.BEGIN}{sbs.END}"):
            with self.assertRaises(ValueError):
                sbs.replace_between_markers(text, "x")

    def test_rendered_section_names_machine_commits_and_every_table(self):
        text = sbs.render(complete(), A, B, [1, 2], META)
        for part in ("2026-12-06 08:00 UTC", "AMD EPYC, 2 cores", "avx2",
                     "commit f8d424e00000", "binary `/bin/new`", "harness at abc (modified)",
                     "| engine | threads |", "< 64 MiB", "against numpy", "| command |"):
            self.assertIn(part, text)

    def test_write_readme_refuses_partial_results_end_to_end(self):
        # main() with a fake measure(): a failed run leaves README untouched and exits 1.
        import contextlib
        import io
        import tempfile
        quiet = contextlib.ExitStack()
        quiet.enter_context(contextlib.redirect_stdout(io.StringIO()))
        quiet.enter_context(contextlib.redirect_stderr(io.StringIO()))
        with tempfile.TemporaryDirectory() as tmp, quiet:
            readme = Path(tmp) / "README.md"
            original = f"a\n{sbs.BEGIN}\nold\n{sbs.END}\nb\n"
            readme.write_text(original)
            res = complete()
            res.runs["engine 1"]["new"][0] = run(1.0, ok=False, note="exit 1: panic")
            saved = sbs.measure, sbs.resolve
            sbs.measure = lambda args, a, b: res
            sbs.resolve = lambda spec, label, default: A if default == "A" else B
            try:
                code = sbs.main(["x", "y", "--all", "--pairs", "3", "--write-readme",
                                 "--readme", str(readme)])
                self.assertEqual(code, 1)
                self.assertEqual(readme.read_text(), original)
                res.runs["engine 1"]["new"][0] = run(2.5)
                self.assertEqual(sbs.main(["x", "y", "--all", "--pairs", "3", "--write-readme",
                                           "--readme", str(readme)]), 0)
                self.assertIn("new against old", readme.read_text())
                self.assertTrue(readme.read_text().endswith(f"{sbs.END}\nb\n"))
            finally:
                sbs.measure, sbs.resolve = saved


if __name__ == "__main__":
    unittest.main()
