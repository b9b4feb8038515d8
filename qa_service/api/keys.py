"""API keys with roles, configured in one place (QA_API_KEYS, QA_API_KEYS_FILE) and verified in constant time.

A key grants one role; roles are ordered, each allowing what the one below allows:

- read: search, ask, chat, models, info, listing documents, rating answers;
- write: also uploading and deleting documents;
- admin: also /admin/* (reloading the index) and reading the ratings of answers (GET /v1/feedback).

`QA_API_KEYS` holds comma-separated `key:role` entries; a bare key means read, so a key given without thought
cannot change anything. `QA_API_KEYS_FILE` holds one `role name sha256-hex` per line, so the keys themselves are
never stored on the server (`qa api-key` makes a key and its line). Only the sha256 of each key is kept in
memory either way; a presented key is hashed and compared with every digest (hmac.compare_digest, no early
exit), so the time taken reveals neither a key nor which one matched. Keys are random strings, not passwords,
so one sha256 is enough: there is nothing to stretch.

A later issue adds knowledge-base scopes: they belong on ApiKey, next to the role.
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

from qa_service.settings import Settings, SettingsError

log = logging.getLogger(__name__)

MIN_KEY_CHARS = 16  # shorter keys are accepted (tests, local use) with a warning: they can be guessed
_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


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


def digest_of(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


@dataclass(frozen=True)
class ApiKey:
    name: str  # for logs and messages; never the key itself
    role: Role
    digest: bytes  # sha256 of the key

    def allows(self, needed: Role) -> bool:
        return self.role >= needed


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


def parse_key_entries(text: str) -> list[ApiKey]:
    """QA_API_KEYS: `key:role` entries separated by commas; a bare key is read."""
    keys: list[ApiKey] = []
    for position, entry in enumerate((e.strip() for e in text.split(",")), start=1):
        if not entry:
            continue
        key, role = entry, Role.READ
        if ":" in entry:
            key, _, role_text = entry.rpartition(":")
            try:
                role = Role.parse(role_text)
            except ValueError as exc:
                raise SettingsError(f"QA_API_KEYS entry {position}: {exc}; write entries as key:role") from None
            key = key.strip()
        if not key:
            raise SettingsError(f"QA_API_KEYS entry {position} has a role but no key")
        if len(key) < MIN_KEY_CHARS:
            log.warning("QA_API_KEYS entry %d is shorter than %d characters: easy to guess", position, MIN_KEY_CHARS)
        keys.append(ApiKey(f"key-{position}", role, digest_of(key)))
    return keys


def plain_key_for(text: str, needed: Role) -> str | None:
    """The first key in QA_API_KEYS whose role allows `needed` (for `qa reload` on the server's own machine)."""
    for entry in (e.strip() for e in text.split(",")):
        key, role = entry, Role.READ
        if ":" in entry:
            key, _, role_text = entry.rpartition(":")
            try:
                role = Role.parse(role_text)
            except ValueError:
                continue
        if key.strip() and role >= needed:
            return key.strip()
    return None


def read_key_file(path: Path) -> list[ApiKey]:
    """QA_API_KEYS_FILE: `role name sha256-hex` per line; blank lines and `#` comments are skipped."""
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
        if len(parts) != 3:
            raise SettingsError(f"QA_API_KEYS_FILE line {number}: expected 'role name sha256', got {len(parts)} fields")
        role_text, name, hex_digest = parts
        try:
            role = Role.parse(role_text)
        except ValueError as exc:
            raise SettingsError(f"QA_API_KEYS_FILE line {number}: {exc}") from None
        if not _NAME.match(name):
            raise SettingsError(f"QA_API_KEYS_FILE line {number}: a name is 1-64 of A-Z a-z 0-9 _ . @ -")
        if not _HEX_DIGEST.match(hex_digest.lower()):
            raise SettingsError(f"QA_API_KEYS_FILE line {number}: the key's sha256 must be 64 hex digits")
        keys.append(ApiKey(name, role, bytes.fromhex(hex_digest)))
    return keys


def new_key_line(role: Role, name: str) -> tuple[str, str]:
    """A fresh random key and the QA_API_KEYS_FILE line that grants it `role`."""
    if not _NAME.match(name):
        raise ValueError("a name is 1-64 of A-Z a-z 0-9 _ . @ -")
    key = secrets.token_urlsafe(32)
    return key, f"{role.label} {name} {digest_of(key).hex()}"
