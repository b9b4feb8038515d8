"""The question page at `/`: served with a strict CSP and no outside resources, open without a key, and
driven in headless Chromium against the real app on loopback over real indexes: answers, citations, the
not-found state, streaming and a stalled answer (a scripted LLM endpoint, the only stand-in), the real
rate limit, a service with no index, a lexical index whose vectors are being made, a too-long question, API keys, phone width, and uploading a real PDF
into a private index copy, asking about its page 2 and deleting it."""
import re
import time
import tomllib
import urllib.error
import urllib.request
from fnmatch import fnmatch
from pathlib import Path

import pytest
from flask import Flask, request

from embeddings.index_store import read_manifest
from qa_service.service import QAService
from qa_service.settings import PROJECT_ROOT
from tests.qa_service.apps import app_for
from tests.documents.ocr.ocr_pages import QUESTION as OCR_QUESTION
from tests.documents.ocr.ocr_pages import SCANNED_PAGE, TEXT_PAGE
from tests.documents.ocr.scans import NEEDS_CJK_FONT, cjk_font_available, mixed_pdf
from tests.qa_service.intake_testlib import ANSWER_ON_PAGE_TWO, PDF_NAME, QUESTION_ON_PAGE_TWO, copy_index, two_page_pdf
from tests.qa_service.servers import ScriptedLLM, serve
from tests.qa_service.api.web_browser import ARTIFACTS, chromium, expect

WEB = PROJECT_ROOT / "qa_service" / "api" / "web"
ASSETS = sorted(p.name for p in WEB.iterdir() if p.is_file())
ANSWERABLE = "海淀区有多少所高等院校？"
UNANSWERABLE = "2022年卡塔尔世界杯的冠军是哪个国家？"
HAIDIAN = "北京市海淀区双创经验总结.txt"
CETC = "中国电科双创示范基地建设方案.txt"
KEY = "page-key"  # a write key
READ_KEY = "read-only-page-key"
LLM_REPLY = ("海淀区有北大、清华等", "高等院校 33 所[1]。")  # streamed in two parts


# --- without a browser --------------------------------------------------------------------------------

def test_page_is_served_with_a_strict_csp(client):
    resp = client.get("/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "政策文件问答" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline scripts"
    assert not re.search(r"\son\w+=", html) and " style=" not in html, "no inline handlers or styles"


@pytest.mark.parametrize("name", ASSETS)
def test_assets_are_served_and_need_nothing_from_elsewhere(client, name):
    resp = client.get(f"/web/{name}")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Content-Security-Policy" in resp.headers
    expected = {".html": "text/html", ".css": "text/css", ".js": "javascript"}[Path(name).suffix]
    assert expected in resp.mimetype
    assert not re.search(r"https?://|(?<![\w:])//[\w.-]+\.\w+/|@import", text), f"{name} refers to another host"
    if name.endswith(".js"):
        assert ".innerHTML" not in text and "insertAdjacentHTML" not in text and "eval(" not in text


def test_every_asset_is_package_data():
    table = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = table["qa_service.api"]
    assert all(any(fnmatch(f"web/{name}", p) for p in patterns) for name in ASSETS)


@pytest.fixture(scope="module")
def keyed_app(service):
    return app_for(service, service.settings.with_overrides(api_keys=f"{KEY}:write, {READ_KEY}"))


def test_page_opens_without_a_key_while_the_api_still_needs_one(keyed_app):
    client = keyed_app.test_client()
    for path in ["/", *(f"/web/{name}" for name in ASSETS)]:
        assert client.get(path).status_code == 200, path
    assert client.get("/v1/info").status_code == 401
    assert client.get("/v1/documents").status_code == 401
    assert client.post("/v1/ask", json={"question": ANSWERABLE}).status_code == 401
    assert client.get("/webhook").status_code == 401  # only the page's own prefix is open
    assert client.get("/web/missing.js").status_code == 404


# --- browser fixtures and helpers ---------------------------------------------------------------------

REBOUND_HOST = "rebind.test"  # resolved by the browser to 127.0.0.1, as after a DNS rebinding


@pytest.fixture(scope="module")
def browser():
    with chromium(f"--host-resolver-rules=MAP {REBOUND_HOST} 127.0.0.1") as b:
        yield b


@pytest.fixture(scope="module")
def base_url(app, browser):
    with serve(app) as base:
        yield base


@pytest.fixture()
def context(browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 860}, locale="zh-CN")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture()
def page(context):
    return context.new_page()


def ask(page, question):
    page.fill("#question", question)
    page.press("#question", "Enter")


def last_turn(page):
    return page.locator("article.turn").last


def settled(page):
    """The last turn once it has an outcome; returns its state."""
    turn = last_turn(page)
    expect(turn).to_have_attribute("data-state", re.compile(r"^(done|notfound|error|stopped)$"))
    return turn.get_attribute("data-state")


def open_page(page, base):
    page.goto(base + "/")
    expect(page.locator("#docs-note")).not_to_have_text("正在加载文档列表…")  # both start-up requests are done


def screenshot(target, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(ARTIFACTS / name))


def until(condition, what, seconds=15.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


# --- the real service over the small real index -----------------------------------------------------

def test_answer_opens_its_cited_passage_with_the_sentence_highlighted(page, base_url):
    open_page(page, base_url)
    ask(page, ANSWERABLE)
    assert settled(page) == "done"
    turn = last_turn(page)
    assert "33" in turn.locator(".answer-text").inner_text()
    expect(turn.locator(".sources")).to_contain_text(HAIDIAN)
    screenshot(page, "web-page.png")

    cite = turn.locator(".answer-text button.cite").first
    cite.click()
    dialog = page.locator("#passage")
    expect(dialog).to_be_visible()
    screenshot(page, "web-page-passage.png")
    expect(dialog.locator("#passage-doc")).to_have_text(HAIDIAN)
    expect(dialog.locator("#passage-section")).to_contain_text("基本情况")
    expect(dialog.locator("#passage-page")).to_be_hidden()  # a text file has no pages
    expect(dialog.locator("#passage-lines")).to_have_text(re.compile(r"^第 \d+–\d+ 行$"))
    expect(dialog.locator("mark")).to_contain_text("高等院校 33 所")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(cite).to_be_focused()  # focus returns to the citation


def test_unanswerable_question_says_the_documents_do_not_say(page, base_url):
    open_page(page, base_url)
    ask(page, UNANSWERABLE)
    assert settled(page) == "notfound"
    box = last_turn(page).locator(".notfound-box").inner_text()
    assert "文档中没有找到答案" in box and "抱歉" in box
    assert last_turn(page).locator("button.cite").count() == 0


def test_conversation_stays_and_answer_copies_with_sources(context, page, base_url):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    open_page(page, base_url)
    ask(page, ANSWERABLE)
    assert settled(page) == "done"
    page.reload()
    expect(page.locator("article.turn")).to_have_count(1)
    expect(last_turn(page)).to_have_attribute("data-state", "done")
    expect(last_turn(page)).to_contain_text(ANSWERABLE)

    last_turn(page).get_by_role("button", name="复制答案及出处").click()
    expect(page.get_by_role("button", name="已复制")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "33" in copied and f"来源：\n[1] {HAIDIAN} · " in copied

    page.get_by_role("button", name="清空对话").click()
    page.reload()
    expect(page.locator("#empty-hint")).to_be_visible()
    expect(page.locator("article.turn")).to_have_count(0)


def test_document_panel_lists_the_indexed_documents_with_their_chunk_counts(page, base_url, client):
    listed = {d["name"]: d for d in client.get("/v1/documents").get_json()["documents"]}
    open_page(page, base_url)
    panel = page.locator("#docs-list")
    expect(panel.locator("li")).to_have_count(2)
    expect(page.locator("#docs-count")).to_have_text("（2）")
    for name in (HAIDIAN, CETC):
        item = panel.locator("li", has_text=name)
        expect(item.locator(".doc-meta")).to_contain_text(f"文本 · {listed[name]['chunks']} 个片段 · ")
        expect(item.locator(".doc-meta")).to_contain_text("收录于")
    expect(page.locator("#service-status")).to_have_text("已就绪 · 2 份文档")


def test_phone_width_has_no_horizontal_scroll(browser, base_url):
    phone = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="zh-CN")
    try:
        page = phone.new_page()
        open_page(page, base_url)
        expect(page.locator("#docs-list")).to_be_hidden()  # the panel starts folded on a phone
        ask(page, ANSWERABLE)
        assert settled(page) == "done"
        ask(page, UNANSWERABLE)
        assert settled(page) == "notfound"
        page.locator("#docs-details summary").click()
        expect(page.locator("#docs-list li").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "web-page-phone-documents.png")
        page.locator("article.turn").first.scroll_into_view_if_needed()
        screenshot(page, "web-page-phone.png")
        page.locator("article.turn").first.locator(".answer-text button.cite").click()
        expect(page.locator("#passage mark")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "web-page-phone-passage.png")
    finally:
        phone.close()


def test_key_field_appears_and_the_key_opens_questions_and_documents(page, keyed_app):
    with serve(keyed_app) as base:
        open_page(page, base)
        expect(page.locator("#key-form")).to_be_visible()
        expect(page.locator("#service-status")).to_have_text("需要 API 密钥")
        # a caller who may not change documents sees neither the list nor the upload form
        expect(page.locator("#docs-note")).to_have_text("需要 API 密钥才能查看文档。")
        expect(page.locator("#upload-form")).to_be_hidden()
        expect(page.locator("#docs-list li")).to_have_count(0)
        ask(page, ANSWERABLE)
        assert settled(page) == "error"
        expect(last_turn(page)).to_contain_text("需要有效的 API 密钥")

        page.get_by_label("API 密钥", exact=True).fill(KEY)
        page.get_by_role("button", name="保存").click()
        expect(page.locator("#key-form")).to_be_hidden()
        expect(page.locator("#service-status")).to_have_text(re.compile(r"^已就绪"))
        expect(page.locator("#docs-list li")).to_have_count(2)
        expect(page.locator("#upload-form")).to_be_visible()  # with a key of the write role, writes are allowed
        last_turn(page).get_by_role("button", name="重试").click()
        assert settled(page) == "done"
        expect(last_turn(page)).to_contain_text("33")
        assert page.evaluate("localStorage.getItem('qa.apiKey')") == KEY


def test_a_read_key_lists_documents_but_offers_no_upload(page, keyed_app):
    with serve(keyed_app) as base:
        open_page(page, base)
        page.get_by_label("API 密钥", exact=True).fill(READ_KEY)
        page.get_by_role("button", name="保存").click()
        expect(page.locator("#service-status")).to_have_text(re.compile(r"^已就绪"))
        expect(page.locator("#docs-list li")).to_have_count(2)
        expect(page.locator("#upload-form")).to_be_hidden()
        ask(page, ANSWERABLE)
        assert settled(page) == "done"


# --- error states, each produced by the real service --------------------------------------------------

def error_box(page):
    box = last_turn(page).locator(".error-box")
    assert settled(page) == "error"
    return box


def test_rate_limited_question_says_when_to_retry(page, service):
    app = app_for(service, service.settings.with_overrides(rate_limit_per_minute=15))
    with serve(app) as base:
        open_page(page, base)  # the page and its assets take about 10 of the 15
        for _ in range(20):  # the page's own caller (127.0.0.1) uses up the rest
            try:
                urllib.request.urlopen(base + "/v1/info", timeout=10).close()
            except urllib.error.HTTPError as exc:
                assert exc.code == 429
                break
        for _ in range(5):  # one request comes back each 4 s; asking again takes it
            ask(page, ANSWERABLE)
            if settled(page) == "error":
                break
        box = error_box(page)
        expect(box).to_contain_text(re.compile(r"请求过于频繁，请 \d+ 秒后再试"))
        expect(box).to_contain_text(re.compile(r"too many requests; retry in \d+ s"))
        expect(last_turn(page).get_by_role("button", name="重试")).to_be_visible()


def test_service_without_an_index_says_it_is_not_ready(page, base_settings, encoder, tmp_path):
    empty = tmp_path / "empty-index"
    empty.mkdir()
    service = QAService.from_settings(base_settings.with_overrides(index_dir=empty), encoder, strict=False)
    assert not service.ready
    with serve(app_for(service)) as base:
        open_page(page, base)
        expect(page.locator("#service-status")).to_have_text("索引尚未加载，暂时无法回答")
        expect(page.locator("#docs-note")).to_have_text("还没有收录任何文档。")
        expect(page.locator("#upload-form")).to_be_visible()  # the first document can be uploaded from here
        ask(page, ANSWERABLE)
        box = error_box(page)
        expect(box).to_contain_text("服务尚未就绪（索引未加载）")
        expect(box).to_contain_text("the index is not loaded")


def test_header_shows_the_vectors_being_made_then_switches_to_hybrid(page, built_index, encoder, small_corpus,
                                                                     tmp_path):
    from embeddings.index_store import current_version_dir
    from embeddings.pending_vectors import EmbeddingProgress, write_progress
    from qa_service.ingestion import IngestionService

    settings = built_index.with_overrides(index_dir=tmp_path / "idx")  # the session's embedding cache: no model work
    IngestionService(settings, encoder).sync([small_corpus], show_progress=False, lexical=True)
    total = read_manifest(settings.index_dir).chunk_count
    now = time.time()  # as the background embedder notes it after 4 passages, 50 minutes left
    write_progress(settings.index_dir, EmbeddingProgress(current_version_dir(settings.index_dir).name, 4, total,
                                                         "passages", now, 3000.0, now))
    service = QAService(settings, encoder)
    service.load()
    with serve(app_for(service)) as base:
        open_page(page, base)
        status = page.locator("#service-status")
        expect(status).to_have_text(f"已就绪 · 2 份文档 · 关键词检索（向量 4/{total}，约 50 分钟）")
        IngestionService(settings, encoder).complete_pending()
        expect(status).to_have_text("已就绪 · 2 份文档", timeout=30_000)  # the page looks again, the server follows


def test_too_long_question_shows_the_limit_and_stays_text(page, service):
    with serve(app_for(service, service.settings.with_overrides(max_question_chars=12))) as base:
        open_page(page, base)
        expect(page.locator("#ask-limit")).to_have_text("；问题最长 12 字")  # from /v1/info's limits
        question = "会出错的问题<script>alert(1)</script>"
        ask(page, question)
        box = error_box(page)
        expect(box).to_contain_text("问题太长，请精简后再问")
        expect(box).to_contain_text("'question' is longer than 12 characters")
        expect(last_turn(page).locator(".question")).to_have_text("问" + question)  # shown as text, not run


# --- an LLM writes the answers: streaming, and a stall before the first token -------------------------

@pytest.fixture(scope="module")
def llm():
    scripted = ScriptedLLM()
    with serve(scripted.app) as base:
        scripted.base = base
        yield scripted
        scripted.gate.set()


@pytest.fixture(scope="module")
def llm_base_url(built_index, encoder, llm, browser):
    settings = built_index.with_overrides(llm_base_url=llm.base + "/v1", llm_model="scripted", llm_max_retries=0)
    with serve(app_for(QAService.from_settings(settings, encoder), encoder=encoder)) as base:
        yield base


def test_answer_streams_in_piece_by_piece(page, llm, llm_base_url):
    llm.script(("hold", *LLM_REPLY))
    open_page(page, llm_base_url)
    page.fill("#question", "第一行")
    page.press("#question", "Shift+Enter")
    page.type("#question", "第二行")
    assert page.input_value("#question") == "第一行\n第二行"  # Shift+Enter is a newline, not a send
    ask(page, ANSWERABLE)
    turn = last_turn(page)
    expect(turn).to_have_attribute("data-state", "streaming")
    expect(turn.locator(".answer-text")).to_have_text(LLM_REPLY[0])  # the first tokens, before the rest exists
    expect(turn.locator(".working")).to_have_text("正在生成答案…")
    expect(page.locator("#stop")).to_be_visible()
    screenshot(page, "web-page-streaming.png")

    llm.gate.set()
    assert settled(page) == "done"
    expect(turn.locator(".answer-text")).to_have_text("".join(LLM_REPLY))
    expect(page.locator("#stop")).to_be_hidden()
    turn.locator(".answer-text button.cite").click()
    expect(page.locator("#passage-doc")).to_have_text(HAIDIAN)
    expect(page.locator("#passage mark")).to_contain_text("33 所")
    page.locator("#passage-close").click()
    expect(page.locator("#passage")).to_be_hidden()


def test_stalled_answer_shows_progress_and_can_be_stopped_and_retried(page, llm, llm_base_url):
    llm.script(("hold", "", "".join(LLM_REPLY)), ("reply", "".join(LLM_REPLY)))
    page.clock.install()  # the page's "still working" timer runs on a clock the test moves
    open_page(page, llm_base_url)
    ask(page, ANSWERABLE)
    turn = last_turn(page)
    expect(turn.get_by_text("正在检索…")).to_be_visible()
    until(lambda: len(llm.requests) == 1, "the question to reach the LLM")
    page.clock.fast_forward(9_000)
    expect(turn.get_by_text("仍在处理")).to_be_visible()
    expect(turn).to_have_attribute("data-state", "pending")  # no token has come
    screenshot(page, "web-page-slow.png")
    page.get_by_role("button", name="停止").click()
    assert settled(page) == "stopped"
    expect(turn).to_contain_text("已停止")
    llm.gate.set()  # the LLM may finish now: the page no longer listens

    turn.get_by_role("button", name="重试").click()
    assert settled(page) == "done"
    expect(turn.locator(".answer-text")).to_have_text("".join(LLM_REPLY))
    assert len(llm.requests) == 2


def test_streamed_sentence_no_passage_states_is_taken_out_and_the_page_says_so(page, llm, llm_base_url):
    invented = "每位市民每月可领取一万元人工智能补贴。"
    llm.script(("hold", "".join(LLM_REPLY) + invented, ""))  # all of it shown before the final event
    open_page(page, llm_base_url)
    ask(page, ANSWERABLE)
    turn = last_turn(page)
    expect(turn.locator(".answer-text")).to_contain_text("一万元")
    llm.gate.set()
    assert settled(page) == "done"
    expect(turn.locator(".answer-text")).to_have_text("".join(LLM_REPLY))  # the final answer replaces the stream
    expect(turn.locator(".revision")).to_have_text("生成过程中显示的部分句子在文档中找不到依据，已从答案中删去。")


# --- the document panel writing to a private copy of the index ----------------------------------------

def test_upload_a_pdf_ask_about_its_page_two_and_delete_documents(page, built_index, encoder, tmp_path):
    settings = copy_index(built_index, tmp_path / "idx", max_upload_bytes=200_000)
    pdf, big, program = tmp_path / PDF_NAME, tmp_path / "过大的文件.txt", tmp_path / "程序.exe"
    two_page_pdf(pdf)
    big.write_text("大" * 100_000, encoding="utf-8")  # 300 KB
    program.write_bytes(b"MZ\x90\x00" * 64)
    confirmations = []
    page.on("dialog", lambda d: (confirmations.append(d.message), d.accept()))
    panel, note = page.locator("#docs-list"), page.locator("#docs-note")

    def upload(path):
        page.set_input_files("#upload-file", str(path))
        expect(page.locator("#upload-name")).to_have_text(path.name)
        page.get_by_role("button", name="上传", exact=True).click()

    with serve(app_for(QAService.from_settings(settings, encoder), encoder=encoder)) as base:
        open_page(page, base)
        expect(panel.locator("li")).to_have_count(2)
        expect(page.locator("#upload-hint")).to_have_text(
            "支持 docx、htm、html、jpeg、jpg、markdown、md、pdf、png、tif、tiff、txt 文件；单个文件不超过 200 KB。"
            "上传后即可用来回答问题。")

        upload(big)  # refused by the page before sending, naming the file
        expect(note).to_have_text("上传失败：《过大的文件.txt》有 300 KB，单个文件不超过 200 KB。")
        upload(program)  # refused by the server (415), explained in Chinese
        expect(note).to_contain_text("上传失败：不支持《程序.exe》的文件类型（支持 docx、")
        expect(panel.locator("li")).to_have_count(2)

        upload(pdf)
        item = panel.locator("li", has_text=PDF_NAME)
        expect(item.locator(".doc-meta")).to_contain_text(re.compile(r"^PDF · 2 页 · \d+ 个片段 · [\d.]+ KB · 上传于 "))
        expect(note).to_contain_text(f"已上传《{PDF_NAME}》，共 ")
        expect(page.locator("#service-status")).to_have_text("已就绪 · 3 份文档")
        screenshot(page.locator("aside.docs"), "web-page-documents.png")

        ask(page, QUESTION_ON_PAGE_TWO)
        assert settled(page) == "done"
        turn = last_turn(page)
        expect(turn.locator(".answer-text")).to_contain_text(ANSWER_ON_PAGE_TWO)
        expect(turn.locator(".sources")).to_contain_text(f"{PDF_NAME} · ")
        expect(turn.locator(".sources")).to_contain_text("第 2 页")
        turn.locator(".answer-text button.cite").first.click()
        expect(page.locator("#passage-doc")).to_have_text(PDF_NAME)
        expect(page.locator("#passage-page")).to_have_text("第 2 页")
        expect(page.locator("#passage-lines")).to_be_hidden()  # lines of extracted text mean nothing in a PDF
        expect(page.locator("#passage mark")).to_contain_text(ANSWER_ON_PAGE_TWO)
        screenshot(page, "web-page-pdf-passage.png")
        page.keyboard.press("Escape")

        page.get_by_role("button", name=f"删除 {PDF_NAME}").click()
        expect(item).to_have_count(0)
        assert PDF_NAME in confirmations[-1]
        expect(note).to_have_text(f"已删除《{PDF_NAME}》。")
        expect(page.locator("#service-status")).to_have_text("已就绪 · 2 份文档")

        page.get_by_role("button", name=f"删除 {CETC}").click()
        expect(panel.locator("li")).to_have_count(1)
        page.get_by_role("button", name=f"删除 {HAIDIAN}").click()  # the last one: refused (409)
        expect(note).to_have_text(f"删除失败：《{HAIDIAN}》是文档库中唯一的文档，索引不能为空。请先上传其他文档，再删除它。")
        expect(panel.locator("li", has_text=HAIDIAN)).to_have_count(1)
        assert len(confirmations) == 3


@pytest.mark.skipif(not cjk_font_available(), reason=NEEDS_CJK_FONT)
def test_a_citation_of_a_scanned_page_is_labelled_ocr(page, built_index, encoder, tmp_path):
    """A PDF whose page 2 is a scan (issue 22): the answer's source carries the OCR label, the passage says so."""
    settings = copy_index(built_index, tmp_path / "idx")
    scan = tmp_path / "海洋中心（第2页为扫描件）.pdf"
    scan.write_bytes(mixed_pdf(TEXT_PAGE, SCANNED_PAGE))
    with serve(app_for(QAService.from_settings(settings, encoder), encoder=encoder)) as base:
        open_page(page, base)
        page.set_input_files("#upload-file", str(scan))
        page.get_by_role("button", name="上传", exact=True).click()
        expect(page.locator("#docs-note")).to_contain_text(f"已上传《{scan.name}》", timeout=300_000)  # OCR: slow here
        ask(page, OCR_QUESTION)
        assert settled(page) == "done"
        source = last_turn(page).locator(".sources li").first
        expect(source).to_contain_text(f"{scan.name} · ")
        expect(source).to_contain_text("第 2 页")
        expect(source.locator(".ocr-label")).to_have_text("OCR")
        source.locator("button.cite").click()
        expect(page.locator("#passage-ocr")).to_have_text("OCR 识别自扫描页或图片，可能有个别错字")
        screenshot(page, "web-page-ocr-passage.png")
        page.keyboard.press("Escape")
        ask(page, ANSWERABLE)  # a passage of a text file has no label
        assert settled(page) == "done"
        expect(last_turn(page).locator(".ocr-label")).to_have_count(0)


# --- a page of another site, in a real browser, against a server without keys -------------------------------

ATTACKER_PAGE = "<!doctype html><title>another site</title><p>nothing to see</p>"
FORGE = """async (target) => {
  const form = () => {
    const f = new FormData();
    f.append("file", new Blob(["跨站上传的文件：每位市民每月可领取补贴。"], { type: "text/plain" }), "跨站.txt");
    return f;
  };
  // a simple request: the browser sends it without asking, and the page cannot read the answer
  await fetch(target + "/v1/documents", { method: "POST", body: form(), mode: "no-cors" });
  // with the header a same-origin write carries: the browser asks first (a CORS preflight) and is refused
  try {
    await fetch(target + "/v1/documents", { method: "POST", body: form(), headers: { "X-Requested-With": "x" } });
    return "sent";
  } catch { return "blocked"; }
}"""


def _recording(app):
    seen = []
    app.after_request(lambda resp: (seen.append((request.method, request.path, resp.status_code)), resp)[1])
    return seen


def test_a_page_of_another_site_cannot_upload(browser, built_index, encoder, tmp_path):
    """Measured before: a cross-site multipart POST got 201 from a server without keys."""
    settings = copy_index(built_index, tmp_path / "idx")
    app = app_for(QAService.from_settings(settings, encoder), encoder=encoder)
    seen = _recording(app)
    attacker = Flask("another-site")
    attacker.add_url_rule("/", view_func=lambda: ATTACKER_PAGE)
    with serve(app) as base, serve(attacker) as evil:
        page = browser.new_page()
        try:
            page.goto(evil.replace("127.0.0.1", "localhost") + "/")  # another origin than 127.0.0.1:<port>
            assert page.evaluate(FORGE, base) == "blocked"
        finally:
            page.close()
    posts = [s for s in seen if s[0] == "POST"]
    assert posts == [("POST", "/v1/documents", 403)], seen  # the simple one reached us and was refused
    assert ("OPTIONS", "/v1/documents", 200) in seen  # the preflight, answered without Access-Control-Allow-*
    assert [d["name"] for d in read_manifest(settings.index_dir).documents] == [CETC, HAIDIAN]


def test_dns_rebinding_gets_no_upload(browser, built_index, encoder, tmp_path):
    """The browser resolves rebind.test to 127.0.0.1, as after a DNS rebinding: to it the page is same-origin."""
    settings = copy_index(built_index, tmp_path / "idx")
    app = app_for(QAService.from_settings(settings, encoder), encoder=encoder)
    seen = _recording(app)
    with serve(app) as base:
        page = browser.new_page()
        try:
            rebound = base.replace("127.0.0.1", REBOUND_HOST)
            open_page(page, rebound)
            expect(page.locator("#docs-list li")).to_have_count(2)  # reading stays open
            expect(page.locator("#upload-form")).to_be_hidden()  # "uploads": false for this Host
            status = page.evaluate("""async () => {
              const f = new FormData();
              f.append("file", new Blob(["重绑定上传的文件。"], { type: "text/plain" }), "重绑定.txt");
              const resp = await fetch("v1/documents",
                                       { method: "POST", body: f, headers: { "X-Requested-With": "x" } });
              return [resp.status, (await resp.json()).error.code];
            }""")
            assert status == [403, "cross_origin"]
        finally:
            page.close()
    assert ("POST", "/v1/documents", 403) in seen and not any(s[2] < 300 for s in seen if s[0] == "POST")
