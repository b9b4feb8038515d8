"""The page's 👍 / 👎 and comment, in headless Chromium against the real app on loopback: each reaches the server's
record of that very answer (its question, answer and citations), rating again replaces the rating, the choice
survives a reload, the keyboard focus stays on the control used, and an answer the server no longer holds says so."""
import re
import sqlite3

import pytest

from qa_service.feedback.store import FeedbackStore
from tests.qa_service.apps import app_for
from tests.qa_service.api.web_browser import ARTIFACTS, chromium, expect
from tests.qa_service.servers import serve

ANSWERABLE = "海淀区有多少所高等院校？"
UNANSWERABLE = "2022年卡塔尔世界杯的冠军是哪个国家？"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 860}, locale="zh-CN")
    ctx.set_default_timeout(15_000)
    yield ctx.new_page()
    ctx.close()


def _ask(page, question):
    page.fill("#question", question)
    page.press("#question", "Enter")
    turn = page.locator("article.turn").last
    expect(turn).to_have_attribute("data-state", re.compile(r"^(done|notfound)$"))
    return turn


def test_rating_and_commenting_an_answer_from_the_page(service, tmp_path, page):
    db = tmp_path / "feedback.sqlite"
    store = FeedbackStore(db, 1000, 1000)
    with serve(app_for(service, feedback_db=str(db))) as base:
        page.goto(base + "/")
        turn = _ask(page, ANSWERABLE)
        up, down = turn.get_by_role("button", name="有帮助", exact=True), turn.get_by_role("button", name="没帮助")
        expect(up).to_have_attribute("aria-pressed", "false")
        up.click()
        expect(turn.locator(".feedback-status")).to_have_text("已记录您的评价，谢谢")
        expect(up).to_have_attribute("aria-pressed", "true")
        [rated] = store.ratings("default")
        assert (rated.question, rated.rating, rated.comment) == (ANSWERABLE, "up", "")
        assert "33" in rated.answer and rated.citations and rated.index_version == service.index_version

        turn.get_by_role("textbox", name="评价说明").fill("答案正确，出处也对")
        turn.get_by_role("button", name="提交说明").click()
        expect(turn.locator(".feedback-status")).to_have_text("已收到您的说明，谢谢")
        down.focus()
        page.keyboard.press("Enter")  # the keyboard alone: the rating changes, the comment stays
        expect(down).to_have_attribute("aria-pressed", "true")
        expect(up).to_have_attribute("aria-pressed", "false")
        assert page.evaluate("document.activeElement.dataset.rating") == "down"
        [rated] = store.ratings("default")
        assert (rated.answer_id, rated.rating, rated.comment) == (rated.answer_id, "down", "答案正确，出处也对")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-page-feedback.png"))

        page.reload()
        turn = page.locator("article.turn").last
        expect(turn.get_by_role("button", name="没帮助")).to_have_attribute("aria-pressed", "true")

        notfound = _ask(page, UNANSWERABLE)  # "the documents do not say" can be rated too
        expect(notfound).to_have_attribute("data-state", "notfound")
        with sqlite3.connect(db) as raw:  # the server no longer holds that answer (as after pruning)
            raw.execute("DELETE FROM answers WHERE question = ?", (UNANSWERABLE,))
        notfound.get_by_role("button", name="有帮助", exact=True).click()
        expect(notfound.locator(".feedback-status")).to_have_text(re.compile("不在服务器的记录中"))
        assert [r.question for r in store.ratings("default")] == [ANSWERABLE]
    store.close()
