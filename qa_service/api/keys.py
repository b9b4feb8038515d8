"""API keys with roles, configured in one place (QA_API_KEYS, QA_API_KEYS_FILE) and verified in constant time.

A key grants one role; roles are ordered, each allowing what the one below allows:

- read: search, ask, chat, models, info, listing documents, rating answers;
- write: also uploading and deleting documents;
- admin: also /admin/* (reloading the index) and reading the ratings of answers (GET /v1/feedback).

`QA_API_KEYS` holds comma-separated `key:role` entries; a bare key means read, so a key given without thought
cannot change anything. `QA_API_KEYS_FILE` holds one `role name sha256-hex` per line, so the keys themselves are
never stored on the server (`qa api-key` makes a key and its line).

A key may be scoped to knowledge bases: `key:role:policy|hr` in QA_API_KEYS, a fourth field `policy,hr` in the
file. Without a scope a key reaches every knowledge base (`*` says so explicitly); a scoped key's role holds only
in its knowledge bases, and the others do not exist for it (the HTTP face answers 404, lists leave them out).
Creating, renaming and deleting knowledge bases needs an admin key without a scope. Only the sha256 of each key is kept in
memory either way; a presented key is hashed and compared with every digest (hmac.compare_digest, no early
exit), so the time taken reveals neither a key nor which one matched. Keys are random strings, not passwords,
so one sha256 is enough: there is nothing to stretch.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from qa_service.knowledge_bases.names import is_valid_name
from qa_service.settings import Settings, SettingsError

log = logging.getLogger(__name__)

MIN_KEY_CHARS = 16  # shorter keys are accepted (tests, local use) with a warning: they can be guessed
_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
ALL_KBS = "*"


class Role(enum.IntEnum):
    READ = 1
    WRITE = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Role":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {text.strip()!r} (read, write or admin)") from None


class ConflictingKeys(ValueError):
    """A request presents two different keys (Authorization and X-API-Key)."""


def key_from_headers(authorization: str, x_api_key: str) -> str | None:
    """The key a request presents: `Authorization: Bearer <key>` or `X-API-Key`. Two different keys are refused,
    not one of them chosen: whatever sits in front (a proxy, a gateway rule) may check the other header, and a
    restriction would then be bypassed through the header it does not read (as in CVE-2026-45339)."""
    bearer = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
    other = x_api_key.strip()
    if bearer and other and not hmac.compare_digest(bearer.encode(), other.encode()):
        raise ConflictingKeys("the request carries two different API keys (Authorization and X-API-Key): send one")
    return bearer or other or None


def digest_of(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


@dataclass(frozen=True)
class ApiKey:
    name: str  # for logs and messages; never the key itself
    role: Role
    digest: bytes  # sha256 of the key
    kbs: frozenset[str] | None = None  # the knowledge bases it reaches; None: every one

    def allows(self, needed: Role) -> bool:
        return self.role >= needed

    def reaches(self, kb: str) -> bool:
        """Whether knowledge base `kb` exists for this key at all (a scoped key sees only its own)."""
        return self.kbs is None or kb in self.kbs

    def may(self, kb: str, needed: Role) -> bool:
        return self.reaches(kb) and self.allows(needed)

    @property
    def unscoped(self) -> bool:
        return self.kbs is None


def parse_scope(text: str, separator: str) -> frozenset[str] | None:
    """`*` or nothing: every knowledge base; else the named ones (ValueError for a name that cannot be one)."""
    names = [n.strip() for n in text.split(separator) if n.strip()]
    if not names or names == [ALL_KBS]:
        return None
    for name in names:
        if not is_valid_name(name):  # a scope naming no possible knowledge base is refused, not kept unmatched
            raise ValueError(f"{name!r} is not a knowledge base name (1-64 of a-z 0-9 _ -, starting with a letter "
                             "or digit)")
    return frozenset(names)


class KeyRing:
    """The configured keys; empty when the service runs without keys."""

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._keys = tuple(keys)
        names = [k.name for k in self._keys]
        if len(set(names)) != len(names):
            raise SettingsError("API key names must be unique (QA_API_KEYS / QA_API_KEYS_FILE)")
        if len({k.digest for k in self._keys}) != len(self._keys):
            raise SettingsError("the same API key is configured twice (QA_API_KEYS / QA_API_KEYS_FILE)")

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> tuple[ApiKey, ...]:
        return self._keys

    def verify(self, presented: str) -> ApiKey | None:
        """The key whose digest matches, comparing against every key whatever the outcome."""
        candidate = digest_of(presented)
        found: ApiKey | None = None
        for key in self._keys:
            if hmac.compare_digest(candidate, key.digest):
                found = key
        return found

    @classmethod
    def from_settings(cls, settings: Settings) -> "KeyRing":
        keys = parse_key_entries(settings.api_keys)
        if settings.api_keys_file.strip():
            keys += read_key_file(Path(settings.api_keys_file.strip()).expanduser())
        return cls(keys)


def _split_entry(entry: str) -> tuple[str, Role, frozenset[str] | None]:
    """`key`, `key:role` or `key:role:kb1|kb2` (a key may itself hold colons: the fields are taken from the end)."""
    if ":" not in entry:
        return entry, Role.READ, None
    head, _, last = entry.rpartition(":")
    try:
        return head.strip(), Role.parse(last), None
    except ValueError:
        if ":" not in head:
            raise
    key, _, role_text = head.rpartition(":")
    return key.strip(), Role.parse(role_text), parse_scope(last, "|")


def parse_key_entries(text: str) -> list[ApiKey]:
    """QA_API_KEYS: `key:role` or `key:role:kb1|kb2` entries separated by commas; a bare key is read."""
    keys: list[ApiKey] = []
    for position, entry in enumerate((e.strip() for e in text.split(",")), start=1):
        if not entry:
            continue
        try:
            key, role, kbs = _split_entry(entry)
        except ValueError as exc:
            raise SettingsError(f"QA_API_KEYS entry {position}: {exc}; write entries as key:role or "
                                "key:role:kb1|kb2") from None
        if not key:
            raise SettingsError(f"QA_API_KEYS entry {position} has a role but no key")
        if len(key) < MIN_KEY_CHARS:
            log.warning("QA_API_KEYS entry %d is shorter than %d characters: easy to guess", position, MIN_KEY_CHARS)
        keys.append(ApiKey(f"key-{position}", role, digest_of(key), kbs))
    return keys


def plain_key_for(text: str, needed: Role) -> str | None:
    """The first key in QA_API_KEYS whose role allows `needed` (for `qa reload` on the server's own machine)."""
    for entry in (e.strip() for e in text.split(",")):
        try:
            key, role, kbs = _split_entry(entry)
        except ValueError:
            continue
        if key and role >= needed and kbs is None:
            return key
    return None


def read_key_file(path: Path) -> list[ApiKey]:
    """QA_API_KEYS_FILE: `role name sha256-hex [kb1,kb2]` per line; blank lines and `#` comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SettingsError(f"QA_API_KEYS_FILE cannot be read: {exc.strerror or exc}") from None
    keys: list[ApiKey] = []
    for number, line in enumerate(lines, start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) not in (3, 4):
            raise SettingsError(f"QA_API_KEYS_FILE line {number}: expected 'role name sha256 [kb1,kb2]', "
                                f"got {len(parts)} fields")
        role_text, name, hex_digest = parts[:3]
        try:
            role = Role.parse(role_text)
            kbs = parse_scope(parts[3], ",") if len(parts) == 4 else None
        except ValueError as exc:
            raise SettingsError(f"QA_API_KEYS_FILE line {number}: {exc}") from None
        if not _NAME.match(name):
            raise SettingsError(f"QA_API_KEYS_FILE line {number}: a name is 1-64 of A-Z a-z 0-9 _ . @ -")
        if not _HEX_DIGEST.match(hex_digest.lower()):
            raise SettingsError(f"QA_API_KEYS_FILE line {number}: the key's sha256 must be 64 hex digits")
        keys.append(ApiKey(name, role, bytes.fromhex(hex_digest), kbs))
    return keys


def new_key_line(role: Role, name: str, kbs: tuple[str, ...] = ()) -> tuple[str, str]:
    """A fresh random key and the QA_API_KEYS_FILE line that grants it `role` (in `kbs` only, when given)."""
    if not _NAME.match(name):
        raise ValueError("a name is 1-64 of A-Z a-z 0-9 _ . @ -")
    scope = parse_scope(",".join(kbs), ",")
    key = secrets.token_urlsafe(32)
    line = f"{role.label} {name} {digest_of(key).hex()}"
    return key, line if scope is None else f"{line} {','.join(sorted(scope))}"
