// 👍 / 👎 under an answer and an optional comment, sent to POST /v1/feedback with the answer's answer_id. Rating
// again (or adding a comment) replaces the earlier rating of that answer on the server. The state lives in the
// turn, so it is kept with the conversation and drawn again with it.

import { request } from "./api.js";

const MAX_COMMENT = 2000; // the server's bound (qa_service/api/contract/feedback.py)
const RATINGS = [["up", "👍", "有帮助"], ["down", "👎", "没帮助"]]; // the word too: not every system has emoji

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function send(turn, rating, comment, changed, focus) {
  const fb = turn.feedback;
  Object.assign(fb, { busy: true, focus });
  changed();
  try {
    await request("POST", "v1/feedback", { json: { answer_id: turn.result.answer_id, rating, comment } });
    Object.assign(fb, { rating, comment, draft: undefined, error: false,
                        status: comment ? "已收到您的说明，谢谢" : "已记录您的评价，谢谢" });
  } catch (err) {
    fb.error = true;
    fb.status = err.status === 404 ? "这个回答已不在服务器的记录中，无法评价"
      : `评价未能提交：${err.message || err.code || "网络错误"}`;
  } finally {
    fb.busy = false;
    changed();
  }
}

// The rating controls of a turn whose answer has an id (null otherwise). `changed()` redraws and saves the turn.
export function feedbackBox(turn, changed) {
  const answerId = turn.result?.answer_id;
  if (!answerId) return null;
  const fb = turn.feedback || (turn.feedback = {});
  const box = el("div", "feedback");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "评价这个回答");
  box.append(el("span", "feedback-ask", "这个回答有帮助吗？"));
  const focusable = {};
  for (const [rating, symbol, label] of RATINGS) {
    const b = el("button", "ghost rate");
    const icon = el("span", "rate-icon", symbol);
    icon.setAttribute("aria-hidden", "true");
    b.append(icon, label);
    b.type = "button";
    b.dataset.rating = rating;
    b.setAttribute("aria-pressed", String(fb.rating === rating));
    b.disabled = fb.busy === true;
    b.addEventListener("click", () => send(turn, rating, fb.comment || "", changed, rating));
    box.append(b);
    focusable[rating] = b;
  }
  if (fb.rating) {
    const form = el("form", "feedback-comment");
    const area = el("textarea");
    area.rows = 2;
    area.maxLength = MAX_COMMENT;
    area.placeholder = fb.rating === "down" ? "哪里不对？应该是什么？（可选）" : "补充说明（可选）";
    area.setAttribute("aria-label", "评价说明");
    area.value = fb.draft ?? fb.comment ?? "";
    area.addEventListener("input", () => { fb.draft = area.value; });
    const submit = el("button", "ghost", "提交说明");
    submit.type = "submit";
    submit.disabled = fb.busy === true;
    form.append(area, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(turn, fb.rating, area.value.trim(), changed, "comment");
    });
    box.append(form);
    focusable.comment = area;
  }
  if (fb.status) {
    const status = el("p", fb.error ? "feedback-status failed" : "feedback-status", fb.status);
    status.setAttribute("role", "status");
    box.append(status);
  }
  // The control used keeps the focus when the turn is drawn again (keyboard users stay where they were).
  const target = !fb.busy && fb.focus ? focusable[fb.focus] : null;
  if (target) {
    fb.focus = undefined;
    queueMicrotask(() => target.focus());
  }
  return box;
}
