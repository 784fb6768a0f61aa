"""Execute every notebook here top to bottom (nbclient), failing on the first error, and check
that the notebooks are stored without outputs. CI runs it from .ci/run:

    python notebooks/run.py            # execute all notebooks
    python notebooks/run.py --check    # only check that outputs are stripped
"""
import pathlib
import sys

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent


def stripped(notebook) -> bool:
    return all(
        not cell.get("outputs") and cell.get("execution_count") is None
        for cell in notebook.cells
        if cell.cell_type == "code"
    )


def main() -> int:
    failures = 0
    for path in sorted(HERE.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        if not stripped(notebook):
            print(f"{path.name}: stored with outputs; strip them (Kernel > Clear outputs) before committing")
            failures += 1
            continue
        if "--check" in sys.argv:
            continue
        client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(HERE)}})
        try:
            client.execute()
        except Exception as error:  # nbclient raises CellExecutionError with the cell's traceback
            print(f"{path.name}: failed\n{error}")
            failures += 1
            continue
        print(f"{path.name}: ran top to bottom ({len(notebook.cells)} cells)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
