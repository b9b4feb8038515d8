// One question and its answer on the page, in each of its states. Server text only ever goes into
// textContent or text nodes.

import { segments } from "./cite.js";
import { feedbackBox } from "./feedback.js";
import { openPassage, pageOf } from "./passage.js";

// A turn: {question, state, text, result, error}. state is pending (nothing yet), streaming, done,
// notfound (the documents do not say), error, or stopped (the user pressed 停止).
export function notFound(result) {
  return result.answerable === false || result.found === false || result.abstained === true;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, className, onClick, ariaLabel) {
  const b = el("button", className, label);
  b.type = "button";
  if (ariaLabel) b.setAttribute("aria-label", ariaLabel);
  b.addEventListener("click", onClick);
  return b;
}

export function sourceLine(c) {
  return [c.doc, c.title, c.section, pageOf(c)].filter((part) => part).join(" · ");
}

export function copyText(result) {
  const lines = (result.citations || []).map((c) => `[${c.ref}] ${sourceLine(c)}`);
  return lines.length ? `${result.answer}\n\n来源：\n${lines.join("\n")}` : result.answer;
}

// How the final answer differs from the text the model wrote (and the stream showed): the answer above is the
// final one; these say what changed (the response's `revision`).
const REVISIONS = {
  cited: "模型的回答没有标注出处或标注有误，已按各句内容标注出处。",
  trimmed: "生成过程中显示的部分句子在文档中找不到依据，已从答案中删去。",
  replaced: "模型生成的回答未被采用，以上为文档原文的摘录。",
};

function errorTitle(error) {
  if (error.code === "stream_broken") return "回答中断";
  if (error.code === "client") return "页面出错";
  if (error.status === 0) return "无法连接到服务";
  if (error.code === "too_long") return "问题太长，请精简后再问";
  if (error.code === "empty_field") return "问题不能为空";
  if (error.status === 503) return error.code === "overloaded" ? "服务繁忙，请稍后再试" : "服务尚未就绪（索引未加载）";
  if (error.status === 429) {
    const wait = Number.parseInt(error.retryAfter, 10);
    return Number.isFinite(wait) ? `请求过于频繁，请 ${wait} 秒后再试` : "请求过于频繁，请稍后再试";
  }
  const titles = { 400: "请求格式有误", 401: "需要有效的 API 密钥", 403: "没有权限", 413: "问题太长",
                   415: "请求格式有误", 422: "问题不符合要求", 502: "生成答案的模型出错", 504: "生成答案超时" };
  return titles[error.status] || `服务出错（${error.status}）`;
}

// The answer with each [n] a button that opens passage n (plain text while the citations are unknown).
function answerText(text, citations) {
  const box = el("p", "answer-text");
  const byRef = new Map((citations || []).map((c) => [c.ref, c]));
  for (const part of segments(text)) {
    if (part.text !== undefined) { box.append(part.text); continue; }
    const cited = byRef.get(part.ref);
    if (!cited) { box.append(el("span", "cite pending", `[${part.ref}]`)); continue; }
    const b = button(`[${part.ref}]`, "cite", () => openPassage(cited, text, b), `查看出处 ${part.ref}：${cited.doc ?? ""}`);
    box.append(b);
  }
  return box;
}

function sources(result) {
  const list = el("ol", "sources");
  list.setAttribute("aria-label", "出处");
  for (const c of result.citations || []) {
    const item = el("li");
    const b = button(`[${c.ref}]`, "cite", () => openPassage(c, result.answer, b), `查看出处 ${c.ref}`);
    item.append(b, el("span", "source-line", sourceLine(c)));
    if (c.ocr === true) {
      // The passage was read by OCR off a scanned page or an image: a character may be misread.
      const label = el("span", "ocr-label", "OCR");
      label.title = "此段文字由 OCR 从扫描页或图片识别，可能有个别错字";
      label.setAttribute("aria-label", "OCR 识别的文字");
      item.append(label);
    }
    list.append(item);
  }
  return list;
}

async function copy(text, b) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Plain http on another host has no clipboard API: fall back to a selected text area.
    const area = el("textarea", "visually-hidden");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  b.textContent = "已复制";
  setTimeout(() => { b.textContent = "复制答案及出处"; }, 2000);
}

export function renderTurn(turn, article, { retry, changed }) {
  article.className = "turn";
  article.dataset.state = turn.state;
  const question = el("div", "question");
  question.append(el("span", "who", "问"), el("p", "", turn.question));
  const answer = el("div", "answer");
  answer.append(el("span", "who", "答"));
  const body = el("div", "answer-body");
  answer.append(body);
  article.replaceChildren(question, answer);

  if (turn.state === "pending" || turn.state === "streaming") {
    body.append(el("p", "working", turn.state === "pending" ? "正在检索…" : "正在生成答案…"));
    if (turn.slow) body.append(el("p", "hint slow", "仍在处理，请稍候；也可以点击“停止”。"));
    if (turn.text) body.append(answerText(turn.text, null));
    return;
  }
  if (turn.state === "error") {
    const box = el("div", "error-box");
    box.setAttribute("role", "alert");
    box.append(el("strong", "", errorTitle(turn.error)));
    if (turn.error.message) box.append(el("p", "error-message", turn.error.message));
    body.append(box);
  } else if (turn.state === "stopped") {
    if (turn.text) body.append(answerText(turn.text, null));
    body.append(el("p", "hint", "已停止，回答不完整。"));
  } else if (turn.state === "notfound") {
    const box = el("div", "notfound-box");
    box.append(el("strong", "", "文档中没有找到答案"), el("p", "", turn.result.answer));
    body.append(box);
  } else {
    body.append(answerText(turn.result.answer, turn.result.citations));
    if (turn.result.citations?.length) body.append(sources(turn.result));
  }
  const revised = REVISIONS[turn.result?.revision];
  if (revised) body.append(el("p", "hint revision", revised));
  if (turn.result?.notice) body.append(el("p", "hint notice", `说明：${turn.result.notice}`));
  if (turn.state === "done" || turn.state === "notfound") {
    const rating = feedbackBox(turn, changed);
    if (rating) body.append(rating);
  }

  const actions = el("div", "turn-actions");
  if (turn.state === "done") {
    const b = button("复制答案及出处", "ghost", () => copy(copyText(turn.result), b));
    actions.append(b);
  }
  if (turn.state === "error" || turn.state === "stopped") actions.append(button("重试", "ghost", retry));
  if (actions.childElementCount) body.append(actions);
}
