// The document panel over GET /v1/documents: the indexed documents with their format, pages and chunk
// counts. Upload (POST /v1/documents, multipart field "file") and delete (DELETE /v1/documents/{id}) are
// offered only when the server says this caller may make them ("uploads": true). Refusals are explained
// in Chinese from their error code; the server's own message is shown only for codes not known here.

import { ApiError, request } from "./api.js";

const $ = (id) => document.getElementById(id);
let handlers = { onUnauthorized: () => {}, onRefresh: async () => {} };
let maxUploadBytes = null;
let acceptedTypes = [];

const FORMATS = { text: "文本", markdown: "Markdown", html: "网页", docx: "Word", pdf: "PDF", image: "图片（OCR）" };

function note(text, isError = false) {
  $("docs-note").textContent = text;
  $("docs-note").classList.toggle("error-text", isError);
}

// Decimal units, as QA_MAX_UPLOAD_BYTES is written (20000000 = 20 MB).
function size(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${Math.round(bytes / 1000)} KB`;
  return `${Number((bytes / 1e6).toFixed(1))} MB`;
}

function types() {
  return acceptedTypes.map((t) => t.replace(/^\./, "")).join("、");
}

function when(stamp) {
  const date = new Date(stamp);
  if (Number.isNaN(date.getTime())) return String(stamp);
  return date.toLocaleString("zh-CN", { dateStyle: "short", timeStyle: "short" });
}

function describe(doc) {
  const parts = [];
  if (doc.format) parts.push(FORMATS[doc.format] || String(doc.format));
  if (Number.isFinite(doc.pages)) parts.push(`${doc.pages} 页`);
  if (Number.isFinite(doc.chunks)) parts.push(`${doc.chunks} 个片段`);
  if (Number.isFinite(doc.size)) parts.push(size(doc.size));
  if (doc.added_at) parts.push(`${doc.origin === "upload" ? "上传于" : "收录于"} ${when(doc.added_at)}`);
  if (doc.updated_at && doc.updated_at !== doc.added_at) parts.push(`更新于 ${when(doc.updated_at)}`);
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
    if (manageable && doc.id) {
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

function limits(body) {
  maxUploadBytes = Number.isFinite(body?.max_upload_bytes) ? body.max_upload_bytes : null;
  acceptedTypes = Array.isArray(body?.accepted_types) ? body.accepted_types.map(String) : [];
  $("upload-file").accept = acceptedTypes.join(",");
  const parts = [];
  if (acceptedTypes.length) parts.push(`支持 ${types()} 文件`);
  if (maxUploadBytes) parts.push(`单个文件不超过 ${size(maxUploadBytes)}`);
  $("upload-hint").textContent = parts.length ? `${parts.join("；")}。上传后即可用来回答问题。` : "";
}

// Why a change was refused, in Chinese; `name` is the file the user chose or the document to delete.
function reason(err, name) {
  const known = {
    file_too_large: `《${name}》太大${maxUploadBytes ? `，单个文件不超过 ${size(maxUploadBytes)}` : ""}`,
    unsupported_file_type: `不支持《${name}》的文件类型${acceptedTypes.length ? `（支持 ${types()} 文件）` : ""}`,
    corrupt_document: `《${name}》已损坏，无法读取`,
    encrypted_document: `《${name}》有密码保护，无法读取`,
    scanned_pdf: `《${name}》是扫描件，没有识别出文字`,
    empty_document: `《${name}》中没有文字内容`,
    undecodable_file: `无法识别《${name}》的文字编码`,
    unreadable_document: `无法读取《${name}》`,
    not_text: `《${name}》的内容不是可读的文字（像是乱码）`,
    document_too_large: `《${name}》的内容超出了可处理的规模（页数、大小或元素过多）`,
    document_too_deep: `《${name}》的结构嵌套过深，无法读取`,
    parse_timeout: `读取《${name}》超时，文件未被接受`,
    parse_memory: `读取《${name}》所需内存超出限制，文件未被接受`,
    parse_crashed: `读取《${name}》时解析程序出错，文件未被接受`,
    parse_busy: "文档解析繁忙，请稍后再试",
    name_taken: `《${name}》与文档库中的正式文档同名，请改名后再上传`,
    insufficient_storage: "服务器存储空间不足，文档库未作改动",
    missing_file_name: "文件没有名称",
    last_document: `《${name}》是文档库中唯一的文档，索引不能为空。请先上传其他文档，再删除它`,
    document_not_found: `《${name}》已不在文档库中（可能已被删除）`,
    index_busy: "索引正在被其他任务更新，请稍后再试",
    index_unusable: "当前索引无法增删文档，需要管理员完整重建（qa ingest --rebuild）",
    forbidden: "没有修改文档库的权限",
    insufficient_role: "当前 API 密钥没有修改文档库的权限",
    cross_origin: "请求未通过同源校验，请从本服务自己的页面操作",
    too_many_concurrent: "同时进行的请求过多，请稍后再试",
    auth_throttled: "错误的 API 密钥尝试过多，请稍后再试",
    unauthorized: "需要有效的 API 密钥",
    rate_limited: "请求过于频繁，请稍后再试",
  };
  if (err.status === 0) return "无法连接到服务";
  return known[err.code] || err.message || `服务出错（${err.status}）`;
}

function failure(err, what, name) {
  if (!(err instanceof ApiError)) throw err;
  if (err.status === 401) handlers.onUnauthorized();
  note(`${what}：${reason(err, name)}。`, true);
}

export async function refreshDocuments() {
  note("正在加载文档列表…");
  try {
    const body = await request("GET", "v1/documents");
    const docs = Array.isArray(body?.documents) ? body.documents : [];
    limits(body);
    render(docs, body?.uploads === true);
    note(docs.length ? "" : "还没有收录任何文档。");
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    render([], false);
    $("docs-count").textContent = "";
    if (err.status === 401) {
      handlers.onUnauthorized();
      note("需要 API 密钥才能查看文档。");
    } else {
      note(`文档列表暂不可用：${reason(err, "")}。`, true);
    }
  }
}

async function removeDocument(id, name) {
  if (!window.confirm(`确定删除《${name}》吗？删除后不再用它回答问题。`)) return;
  note(`正在删除《${name}》…`);
  try {
    await request("DELETE", `v1/documents/${encodeURIComponent(id)}`);
  } catch (err) {
    failure(err, "删除失败", name);
    return;
  }
  await handlers.onRefresh();
  note(`已删除《${name}》。`);
}

async function upload(event) {
  event.preventDefault();
  const input = $("upload-file");
  const file = input.files?.[0];
  if (!file) { note("请先选择要上传的文件。", true); input.focus(); return; }
  if (maxUploadBytes && file.size > maxUploadBytes) {
    note(`上传失败：《${file.name}》有 ${size(file.size)}，单个文件不超过 ${size(maxUploadBytes)}。`, true);
    return;
  }
  const form = new FormData();
  form.append("file", file, file.name);
  const submit = $("upload-form").querySelector("button[type=submit]");
  submit.disabled = true;
  note(`正在上传《${file.name}》并建立索引，文件较大时需要一些时间…`);
  let record;
  try {
    record = await request("POST", "v1/documents", { form });
  } catch (err) {
    failure(err, "上传失败", file.name);
    return;
  } finally {
    submit.disabled = false;
  }
  input.value = "";
  $("upload-name").textContent = "未选择文件";
  await handlers.onRefresh();
  const chunks = Number.isFinite(record?.chunks) ? `，共 ${record.chunks} 个片段` : "";
  const done = { updated: `已更新《${file.name}》${chunks}。`,
                 unchanged: `《${file.name}》与文档库中的同名文件内容相同，未做改动。` };
  note(done[record?.status] || `已上传《${file.name}》${chunks}，现在可以就它提问。`);
}

export function setUpDocPanel(given) {
  handlers = given;
  $("upload-form").addEventListener("submit", upload);
  $("upload-file").addEventListener("change", () => {
    $("upload-name").textContent = $("upload-file").files?.[0]?.name || "未选择文件";
  });
  $("docs-refresh").addEventListener("click", () => handlers.onRefresh());
  if (window.matchMedia("(min-width: 900px)").matches) $("docs-details").open = true;
}
