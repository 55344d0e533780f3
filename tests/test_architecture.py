"""The shape of the code: imports run one way, as the README's architecture section says.

`make lint` checks the contracts in pyproject.toml (import-linter); this test runs the same
contracts with the suite and adds what a contract cannot say: no module of lms, routes
included, takes part in an import cycle, imports inside functions counted.
"""

import subprocess
import sys
from pathlib import Path

import grimp

BIN = Path(sys.executable).parent


def test_the_import_contracts_are_kept():
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_takes_part_in_an_import_cycle():
    graph = grimp.build_graph("lms", cache_dir=None)
    cycles = sorted(
        f"{module} -> {imported}"
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert cycles == []


def test_importing_a_model_never_imports_routes():
    code = (
        "import sys, lms.cohorts.models, lms.quizzes.models, lms.certificates.models; "
        "print(sorted(m for m in sys.modules if m.startswith('lms.') and 'routes' in m))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
