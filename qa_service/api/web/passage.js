// The dialog that shows a cited passage with its document, and the supporting sentence highlighted.

import { citingText, supportSpan } from "./cite.js";

const $ = (id) => document.getElementById(id);
let opener = null;

export function setUpPassageDialog() {
  const dialog = $("passage");
  $("passage-close").addEventListener("click", () => dialog.close());
  // A click on the backdrop (outside the box) closes it too; Esc is handled by <dialog> itself.
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  dialog.addEventListener("close", () => { opener?.focus(); opener = null; });
}

// A page number (or range) when the citation has one, else "".
export function pageOf(citation) {
  const page = citation.page;
  if (page === undefined || page === null || page === "") return "";
  const end = citation.page_end;
  return end !== undefined && end !== null && end !== page ? `第 ${page}–${end} 页` : `第 ${page} 页`;
}

// A <dd> of the details list, hidden with its <dt> when the citation lacks the field.
function fill(id, value) {
  const text = value === undefined || value === null ? "" : String(value);
  $(id).textContent = text;
  $(id).hidden = !text;
  $(id).previousElementSibling.hidden = !text;
}

export function openPassage(citation, answerText, button) {
  const dialog = $("passage");
  $("passage-title").textContent = `出处 [${citation.ref}]`;
  fill("passage-doc", citation.doc);
  fill("passage-doc-title", citation.title);
  fill("passage-section", citation.section);
  const page = pageOf(citation);
  fill("passage-page", page);
  // Line numbers count lines of the file; in a paged document (PDF) they mean nothing to a reader.
  const lines = !page && Number.isInteger(citation.line_start)
    ? `第 ${citation.line_start}–${citation.line_end ?? citation.line_start} 行` : "";
  fill("passage-lines", lines);
  fill("passage-ocr", citation.ocr === true ? "OCR 识别自扫描页或图片，可能有个别错字" : "");

  const text = String(citation.text ?? "");
  const span = supportSpan(text, String(citation.quote ?? ""), citingText(answerText, citation.ref));
  const box = $("passage-text");
  box.replaceChildren();
  if (span) {
    const mark = document.createElement("mark");
    mark.textContent = text.slice(span.start, span.end);
    box.append(text.slice(0, span.start), mark, text.slice(span.end));
  } else {
    box.textContent = text;
  }
  opener = button;
  if (!dialog.open) dialog.showModal();
  box.querySelector("mark")?.scrollIntoView({ block: "center" });
}
