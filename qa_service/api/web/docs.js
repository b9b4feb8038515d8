// The document panel. GET /v1/documents lists the indexed documents; a server without that endpoint
// (404/405) or failing on it falls back to the documents in GET /v1/info's manifest, read-only.
// Upload (POST /v1/documents, multipart field "file") and delete (DELETE /v1/documents/{id}) are offered
// only when the server says so: "uploads": true in /v1/info or in the /v1/documents answer.

import { ApiError, request } from "./api.js";

const $ = (id) => document.getElementById(id);
let onUnauthorized = () => {};
let lastInfo = null;

function note(text) {
  $("docs-note").textContent = text;
}

function describe(doc) {
  const parts = [];
  if (Number.isFinite(doc.chunks)) parts.push(`${doc.chunks} 个片段`);
  if (Number.isFinite(doc.pages)) parts.push(`${doc.pages} 页`);
  if (doc.added_at) {
    const when = new Date(doc.added_at);
    parts.push(`添加于 ${Number.isNaN(when.getTime()) ? doc.added_at : when.toLocaleString("zh-CN")}`);
  }
  return parts.join(" · ");
}

function render(docs, manageable) {
  $("docs-count").textContent = `（${docs.length}）`;
  $("upload-form").hidden = !manageable;
  const items = docs.map((doc) => {
    const name = String(doc.name ?? doc.id ?? "未命名文档");
    const item = document.createElement("li");
    const title = document.createElement("span");
    title.className = "doc-name";
    title.textContent = name;
    const meta = document.createElement("span");
    meta.className = "doc-meta";
    meta.textContent = describe(doc);
    item.append(title, meta);
    if (manageable && doc.id !== undefined && doc.id !== null) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "ghost danger-text";
      remove.textContent = "删除";
      remove.setAttribute("aria-label", `删除 ${name}`);
      remove.addEventListener("click", () => removeDocument(doc.id, name));
      item.append(remove);
    }
    return item;
  });
  $("docs-list").replaceChildren(...items);
}

function failure(err, what) {
  if (!(err instanceof ApiError)) throw err;
  if (err.status === 401) onUnauthorized();
  note(`${what}：${err.message || err.code}`);
}

export async function refreshDocuments(info = lastInfo) {
  lastInfo = info;
  note("正在加载文档列表…");
  try {
    const body = await request("GET", "v1/documents");
    const docs = Array.isArray(body?.documents) ? body.documents : [];
    render(docs, info?.uploads === true || body?.uploads === true);
    note(docs.length ? "" : "还没有收录任何文档。");
    return;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) { failure(err, "需要 API 密钥才能查看文档"); return; }
    const fromInfo = info?.manifest?.documents;
    if (!Array.isArray(fromInfo)) {
      render([], false);
      note(`文档列表暂不可用：${err.message || err.code}`);
      return;
    }
    render(fromInfo, false);
    note(err.status === 404 || err.status === 405
      ? "只读：服务器未提供文档管理接口，这里列出的是当前索引中的文档。"
      : `文档接口出错（${err.message || err.status}），这里列出的是当前索引中的文档。`);
  }
}

async function removeDocument(id, name) {
  if (!window.confirm(`确定删除《${name}》吗？删除后不再用它回答问题。`)) return;
  try {
    await request("DELETE", `v1/documents/${encodeURIComponent(id)}`);
    await refreshDocuments();
    note(`已删除：${name}`);
  } catch (err) {
    failure(err, "删除失败");
  }
}

async function upload(event) {
  event.preventDefault();
  const input = $("upload-file");
  const file = input.files?.[0];
  if (!file) { note("请先选择要上传的文件。"); input.focus(); return; }
  const form = new FormData();
  form.append("file", file, file.name);
  const submit = $("upload-form").querySelector("button[type=submit]");
  submit.disabled = true;
  note(`正在上传 ${file.name}…`);
  try {
    await request("POST", "v1/documents", { form });
    input.value = "";
    $("upload-name").textContent = "未选择文件";
    await refreshDocuments();
    note(`已上传：${file.name}`);
  } catch (err) {
    failure(err, "上传失败");
  } finally {
    submit.disabled = false;
  }
}

export function setUpDocPanel(handlers) {
  onUnauthorized = handlers.onUnauthorized;
  $("upload-form").addEventListener("submit", upload);
  $("upload-file").addEventListener("change", () => {
    $("upload-name").textContent = $("upload-file").files?.[0]?.name || "未选择文件";
  });
  $("docs-refresh").addEventListener("click", () => handlers.onRefresh());
  if (window.matchMedia("(min-width: 900px)").matches) $("docs-details").open = true;
}
