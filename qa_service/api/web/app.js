// The question page: asks /v1/ask with streaming, keeps the conversation for this tab, and wires the
// API key field and the document panel.

import { ApiError, askStreaming, request, storeKey, storedKey } from "./api.js";
import { refreshDocuments, setUpDocPanel } from "./docs.js";
import { setUpPassageDialog } from "./passage.js";
import { notFound, renderTurn } from "./turn.js";

const CONVERSATION = "qa.conversation";
const KEEP_TURNS = 50;
const SLOW_MS = 8000; // after this long without an answer the turn says it is still working

const $ = (id) => document.getElementById(id);
const articles = new Map();
let turns = loadTurns();
let current = null; // the turn being answered, with its AbortController

// A turn that was under way when the page was left cannot resume.
function settled(turn) {
  if (turn.feedback?.busy) turn = { ...turn, feedback: { ...turn.feedback, busy: false } };
  return turn.state === "pending" || turn.state === "streaming" ? { ...turn, state: "stopped", slow: false } : turn;
}

function loadTurns() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(CONVERSATION) || "[]");
    return Array.isArray(saved) ? saved.filter((t) => t && typeof t.question === "string").map(settled) : [];
  } catch {
    return [];
  }
}

function saveTurns() {
  try {
    sessionStorage.setItem(CONVERSATION, JSON.stringify(turns.slice(-KEEP_TURNS).map(settled)));
  } catch { /* full or disabled storage: the conversation just isn't kept */ }
}

function draw(turn) {
  if (!turns.includes(turn)) return; // cleared while it was being answered
  let article = articles.get(turn);
  if (!article) {
    article = document.createElement("article");
    articles.set(turn, article);
    $("conversation").append(article);
  }
  renderTurn(turn, article, { retry: () => run(turn), changed: () => { draw(turn); saveTurns(); } });
  $("empty-hint").hidden = turns.length > 0;
}

function setBusy(busy) {
  const stopFocused = document.activeElement === $("stop");
  $("stop").hidden = !busy;
  $("send").disabled = busy;
  if (stopFocused && !busy) $("question").focus();
}

function errorOf(err) {
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message, retryAfter: err.retryAfter };
  return { status: 0, code: "client", message: String(err) };
}

async function run(turn) {
  if (current) return;
  Object.assign(turn, { state: "pending", text: "", result: null, error: null, slow: false, feedback: undefined });
  const controller = new AbortController();
  const timer = setTimeout(() => { turn.slow = true; draw(turn); }, SLOW_MS);
  current = { turn, controller };
  setBusy(true);
  draw(turn);
  articles.get(turn).scrollIntoView({ block: "nearest" });
  try {
    const result = await askStreaming(turn.question, {
      signal: controller.signal,
      onDelta: (text) => { turn.state = "streaming"; turn.text += text; draw(turn); },
    });
    turn.result = result;
    turn.state = notFound(result) ? "notfound" : "done";
  } catch (err) {
    if (err.name === "AbortError") {
      turn.state = "stopped";
    } else {
      turn.state = "error";
      turn.error = errorOf(err);
      if (err.status === 401) showKeyForm();
    }
  } finally {
    clearTimeout(timer);
    turn.slow = false;
    current = null;
    setBusy(false);
    draw(turn);
    saveTurns();
  }
}

function ask(event) {
  event.preventDefault();
  const box = $("question");
  const question = box.value.trim();
  if (!question || current) return;
  const turn = { question };
  turns.push(turn);
  box.value = "";
  run(turn);
}

function clearConversation() {
  current?.controller.abort();
  turns = [];
  articles.clear();
  $("conversation").replaceChildren($("empty-hint"));
  $("empty-hint").hidden = false;
  saveTurns();
}

function showKeyForm() {
  $("key-toggle").hidden = false;
  $("key-toggle").setAttribute("aria-expanded", "true");
  $("key-form").hidden = false;
  $("key-hint").textContent = storedKey()
    ? "密钥无效或已失效，请重新输入。密钥只保存在本浏览器中。"
    : "此服务需要 API 密钥。密钥只保存在本浏览器中。";
}

function setUpKeyForm() {
  if (storedKey()) $("key-toggle").hidden = false;
  $("key-toggle").addEventListener("click", () => {
    const open = $("key-form").hidden;
    $("key-form").hidden = !open;
    $("key-toggle").setAttribute("aria-expanded", String(open));
    if (open) $("api-key").focus();
  });
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    storeKey($("api-key").value.trim());
    $("api-key").value = "";
    $("key-form").hidden = true;
    $("key-toggle").setAttribute("aria-expanded", "false");
    $("question").focus();
    refresh();
  });
  $("key-clear").addEventListener("click", () => { storeKey(""); $("api-key").value = ""; refresh(); });
}

// While the index's vectors are made in the background (answers come from keyword retrieval meanwhile): how far
// they are, from /v1/info's "embedding"; "" once they are complete.
function vectorsNote(embedding) {
  if (!embedding || embedding.state === "complete") return "";
  if (embedding.state !== "embedding" || !Number.isFinite(embedding.embedded)) return " · 关键词检索（向量待计算）";
  const left = embedding.seconds_left;
  const eta = !Number.isFinite(left) ? "" : left >= 90 ? `，约 ${Math.round(left / 60)} 分钟` : `，约 ${Math.max(1, Math.round(left))} 秒`;
  return ` · 关键词检索（向量 ${embedding.embedded}/${embedding.total}${eta}）`;
}

const PROGRESS_POLL_MS = 5000;
let progressTimer = null;

// The service state in the header; looked at again every few seconds while the vectors are being made.
async function refreshStatus() {
  clearTimeout(progressTimer);
  progressTimer = null;
  try {
    const info = await request("GET", "v1/info");
    const count = info?.manifest?.documents?.length;
    const maxChars = info?.limits?.max_question_chars;
    if (Number.isInteger(maxChars) && maxChars > 0) $("ask-limit").textContent = `；问题最长 ${maxChars} 字`;
    const note = vectorsNote(info?.embedding);
    $("service-status").textContent = info?.ready === false
      ? "索引尚未加载，暂时无法回答"
      : `已就绪${Number.isFinite(count) ? ` · ${count} 份文档` : ""}${note}`;
    if (note) progressTimer = setTimeout(refreshStatus, PROGRESS_POLL_MS);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) showKeyForm();
    $("service-status").textContent = err.status === 401 ? "需要 API 密钥" : `服务不可用：${err.message || err.code}`;
  }
}

// The service state in the header, then the document panel; also after each upload or deletion.
async function refresh() {
  await refreshStatus();
  await refreshDocuments();
}

function setUp() {
  $("ask-form").addEventListener("submit", ask);
  $("question").addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter is a newline; Enter that confirms an IME composition does neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("stop").addEventListener("click", () => current?.controller.abort());
  $("clear-conversation").addEventListener("click", clearConversation);
  setUpPassageDialog();
  setUpKeyForm();
  setUpDocPanel({ onUnauthorized: showKeyForm, onRefresh: refresh });
  turns.forEach(draw);
  $("empty-hint").hidden = turns.length > 0;
  refresh();
}

setUp();
