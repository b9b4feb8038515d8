"""Keys scoped to knowledge bases, and requests that present two different keys."""
import pytest

from qa_service.api.keys import (ApiKey, ConflictingKeys, KeyRing, Role, digest_of, key_from_headers, new_key_line,
                                 parse_key_entries, plain_key_for, read_key_file)
from tests.qa_service.apps import app_for

ASK = {"question": "海淀区有多少所高等院校？"}


def test_entries_take_a_scope_after_the_role():
    ring = KeyRing(parse_key_entries("a-0123456789abcdef:write:hr|policy, b-0123456789abcdef:admin, "
                                     "c:0123456789abcdef:read, d-0123456789abcdef:read:*"))
    hr = ring.verify("a-0123456789abcdef")
    assert hr.role == Role.WRITE and hr.kbs == frozenset({"hr", "policy"})
    assert hr.may("hr", Role.WRITE) and hr.reaches("policy") and not hr.reaches("default")
    assert not hr.may("default", Role.READ) and not hr.may("hr", Role.ADMIN)
    assert ring.verify("b-0123456789abcdef").unscoped and ring.verify("b-0123456789abcdef").may("any", Role.ADMIN)
    assert ring.verify("c:0123456789abcdef").role == Role.READ  # a key may hold a colon: fields come from the end
    assert ring.verify("d-0123456789abcdef").kbs is None  # `*` says every knowledge base


def test_key_file_takes_a_scope_as_fourth_field(tmp_path):
    key, line = new_key_line(Role.READ, "hr-reader", ("hr", "hr"))
    assert line.split()[3] == "hr" and key not in line
    _, unscoped = new_key_line(Role.ADMIN, "ops")
    (tmp_path / "keys").write_text(f"{line}\n{unscoped}\n", encoding="utf-8")
    keys = {k.name: k for k in read_key_file(tmp_path / "keys")}
    assert keys["hr-reader"].kbs == frozenset({"hr"}) and keys["ops"].kbs is None
    with pytest.raises(ValueError, match="not a knowledge base name"):
        new_key_line(Role.READ, "x", ("../etc",))


def test_reload_uses_only_an_unscoped_admin_key():
    assert plain_key_for("s-0123456789abcdef:admin:hr, u-0123456789abcdef:admin", Role.ADMIN) == "u-0123456789abcdef"
    assert plain_key_for("s-0123456789abcdef:admin:hr", Role.ADMIN) is None


@pytest.mark.parametrize("authorization,x_api_key,expected", [
    ("Bearer k1", "", "k1"), ("", "k2", "k2"), ("Bearer k1", "k1", "k1"), ("Basic abc", "k2", "k2"),
    ("Bearer ", "", None), ("", "", None),
])
def test_one_key_per_request(authorization, x_api_key, expected):
    assert key_from_headers(authorization, x_api_key) == expected


def test_two_different_keys_are_refused_whichever_is_valid(service):
    ring = "good-0123456789abcdef:admin"
    client = app_for(service, service.settings.with_overrides(api_keys=ring)).test_client()
    for headers in ({"Authorization": "Bearer good-0123456789abcdef", "X-API-Key": "other"},
                    {"Authorization": "Bearer other", "X-API-Key": "good-0123456789abcdef"}):
        resp = client.post("/v1/ask", json=ASK, headers=headers)
        assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "conflicting_keys"
    both = {"Authorization": "Bearer good-0123456789abcdef", "X-API-Key": "good-0123456789abcdef"}
    assert client.post("/v1/ask", json=ASK, headers=both).status_code == 200
    with pytest.raises(ConflictingKeys):
        key_from_headers("Bearer a", "b")


def test_scoped_key_digest_is_what_is_kept():
    key = ApiKey("n", Role.READ, digest_of("secret-0123456789ab"), frozenset({"hr"}))
    assert key.digest != b"secret-0123456789ab" and len(key.digest) == 32
