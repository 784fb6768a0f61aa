"""Execute every notebook here top to bottom (nbclient), failing on the first error in each, and
check that the notebooks are stored without outputs. CI runs it from .ci/run:

    python notebooks/run.py                          # check, then execute all notebooks
    python notebooks/run.py --check                  # only check that outputs are stripped
    python notebooks/run.py strategy_comparison      # check all, execute only the named ones

The notebooks find crmcast in $CRMCAST, then target/release, then target/debug.
"""
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
# The notebooks the README describes; CI fails if one goes missing.
EXPECTED = ("calibration.ipynb", "strategy_comparison.ipynb", "tracking.ipynb")


def stripped(notebook) -> bool:
    return all(
        not cell.get("outputs") and cell.get("execution_count") is None
        for cell in notebook.cells
        if cell.cell_type == "code"
    )


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    check_only = "--check" in sys.argv
    failures = 0
    for name in EXPECTED:
        if not (HERE / name).exists():
            print(f"{name}: missing (notebooks/README.md describes it)")
            failures += 1
    paths = sorted(HERE.glob("*.ipynb"))
    notebooks = {}
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if not stripped(notebook):
            print(f"{path.name}: stored with outputs; strip them (Kernel > Clear outputs) before committing")
            failures += 1
            continue
        notebooks[path] = notebook
    if check_only:
        if not failures:
            print(f"{len(paths)} notebooks stored without outputs")
        return 1 if failures else 0
    for path, notebook in notebooks.items():
        if args and path.stem not in args and path.name not in args:
            continue
        started = time.monotonic()
        client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(HERE)}})
        try:
            client.execute()
        except Exception as error:  # nbclient raises CellExecutionError with the cell's traceback
            print(f"{path.name}: failed\n{error}")
            failures += 1
            continue
        print(f"{path.name}: ran top to bottom ({len(notebook.cells)} cells, "
              f"{time.monotonic() - started:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
