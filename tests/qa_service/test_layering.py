"""The package's layering, read from the source (ast): what may import what, and who builds what."""
from __future__ import annotations

import ast
from importlib.metadata import entry_points
from pathlib import Path

from qa_service.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "qa_service"
ROUTE_MODULES = sorted(PACKAGE.glob("api/*_routes.py")) + [PACKAGE / "api" / "openai_compat.py",
                                                            PACKAGE / "api" / "web_page.py"]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_module_of_qa_service_imports_eval():
    offenders = {str(path.relative_to(PROJECT_ROOT)): sorted(n for n in _imports(_tree(path))
                                                             if n == "eval" or n.startswith("eval."))
                 for path in PACKAGE.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_evaluation_commands_register_themselves_through_an_entry_point():
    found = {ep.name: ep.value for ep in entry_points(group="qa.commands")}
    assert found.get("eval") == "eval.commands:register", (
        "the qa.commands entry points are not installed: `pip install -e .` (make does it when pyproject.toml "
        f"changes); found {found}")
    from qa_service.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"eval", "eval-compare", "eval-ablate"} <= set(commands)


def test_route_modules_build_no_service_and_install_no_app_hook():
    """Routes validate, make one service call and serialise: the composition root builds the services, and the
    app factory (qa_service/api/app.py) installs what runs for every request (auto-reload, access, admission)."""
    builders = {"QAService", "DocumentService", "IngestionService", "IndexWatcher", "ServiceRoot", "vector_backend",
                "build_encoder", "from_settings", "Flask"}
    app_hooks = {"before_app_request", "after_app_request", "teardown_app_request", "register_access_control"}
    found = {}
    for path in ROUTE_MODULES:
        tree = _tree(path)
        called = {node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                  for node in ast.walk(tree) if isinstance(node, ast.Call)}
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
        attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        if bad := sorted((called & builders) | (imported & {"Flask"}) | (attributes & app_hooks)):
            found[path.name] = bad
    assert found == {}


def test_embeddings_do_not_import_qa_service():
    """embeddings/ knows nothing of the query service: the encoder factory lives there."""
    offenders = {str(path.relative_to(PROJECT_ROOT)) for path in (PROJECT_ROOT / "embeddings").rglob("*.py")
                 if any(n == "qa_service" or n.startswith("qa_service.") for n in _imports(_tree(path)))}
    assert offenders == set()


def test_python_files_of_qa_service_stay_readable_in_one_sitting():
    """About 300 lines of Python at most per file (issue 17)."""
    long = {str(p.relative_to(PROJECT_ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert long == {}
