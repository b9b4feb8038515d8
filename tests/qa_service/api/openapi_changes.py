"""What differs between two OpenAPI documents, descriptions and summaries aside, one line per change:
`+ path` added, `- path` removed, `~ path: old -> new` changed; `required` and `enum` compare as sets.

    python -m tests.qa_service.api.openapi_changes OLD.json NEW.json
"""
from __future__ import annotations

import json
import sys
from typing import Any

PROSE = {"description", "summary"}
SETS = {"required", "enum"}


def changes(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            if key in PROSE:
                continue
            where = f"{path}/{key}"
            if key not in new:
                out.append(f"- {where}")
            elif key not in old:
                out.append(f"+ {where}")
            elif key in SETS and isinstance(old[key], list) and isinstance(new[key], list):
                out += [f"- {where}: {v}" for v in old[key] if v not in new[key]]
                out += [f"+ {where}: {v}" for v in new[key] if v not in old[key]]
            else:
                out += changes(old[key], new[key], where)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [line for i, (a, b) in enumerate(zip(old, new)) for line in changes(a, b, f"{path}/{i}")]
    return [] if old == new else [f"~ {path}: {json.dumps(old, ensure_ascii=False)} -> "
                                  f"{json.dumps(new, ensure_ascii=False)}"]


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as a, open(sys.argv[2], encoding="utf-8") as b:
        print("\n".join(changes(json.load(a), json.load(b))) or "no change")
