"""The service refuses what the API refuses, in the same words: every face gets the same refusals."""
import pytest

from qa_service.query_limits import TOP_K_MAX, QueryRefused
from qa_service.settings import Settings, SettingsError


@pytest.mark.parametrize("call,code,message", [
    (lambda s: s.search("海淀区", 0), "out_of_range", "'top_k' must be between 1 and 50"),
    (lambda s: s.search("海淀区", TOP_K_MAX + 1), "out_of_range", "'top_k' must be between 1 and 50"),
    (lambda s: s.ask("海淀区", True), "invalid_type", "'top_k' must be an integer"),
    (lambda s: s.search("  \n", 5), "empty_field", "'query' must not be empty"),
    (lambda s: s.ask("", 5), "empty_field", "'question' must not be empty"),
    (lambda s: s.ask("海" * 2001, 5), "too_long", "'question' is longer than 2000 characters"),
    (lambda s: s.ask_stream("海" * 2001, 5), "too_long", "'question' is longer than 2000 characters"),
    (lambda s: s.standalone_question([], " "), "empty_field", "the last user message is empty"),
])
def test_the_service_enforces_its_own_limits(service, call, code, message):
    with pytest.raises(QueryRefused) as refused:
        call(service)
    assert (refused.value.code, refused.value.message) == (code, message)


def test_the_default_top_k_is_held_to_the_same_range():
    with pytest.raises(SettingsError, match="QA_TOP_K must be between 1 and 50"):
        Settings.from_env({"QA_TOP_K": str(TOP_K_MAX + 1)})
