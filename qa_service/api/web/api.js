// Talking to the service: the stored API key, JSON errors, and the event stream of POST /v1/ask.
// Paths are relative to the page, so the service also works behind a proxy under a path prefix.

const KEY_STORE = "qa.apiKey";

export function storedKey() {
  try { return localStorage.getItem(KEY_STORE) || ""; } catch { return ""; }
}

export function storeKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORE, key);
    else localStorage.removeItem(KEY_STORE);
  } catch { /* storage disabled: the key lives only until the page closes */ }
  sessionKey = key;
}

let sessionKey = storedKey();

// status 0 means no HTTP answer at all (network down, stream cut off).
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// X-Requested-With proves to a server without API keys that a write comes from this page: a page on another
// site cannot send the header without a CORS preflight, which the server never grants.
function headers(extra) {
  const out = { ...extra, "X-Requested-With": "qa-web" };
  if (sessionKey) out.Authorization = `Bearer ${sessionKey}`;
  return out;
}

async function errorOf(resp) {
  let code = "http_error";
  let message = resp.statusText || "";
  try {
    const body = await resp.json();
    if (body && typeof body.error === "object" && body.error) {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? message);
    }
  } catch { /* not JSON: keep the status text */ }
  return new ApiError(resp.status, code, message, resp.headers.get("Retry-After"));
}

async function send(path, init) {
  try {
    return await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "无法连接到服务");
  }
}

// A JSON request; resolves with the body (null for 204), rejects with ApiError.
export async function request(method, path, { json, form } = {}) {
  const init = { method, headers: headers(json === undefined ? {} : { "Content-Type": "application/json" }) };
  if (json !== undefined) init.body = JSON.stringify(json);
  if (form) init.body = form; // the browser sets the multipart boundary itself
  const resp = await send(path, init);
  if (!resp.ok) throw await errorOf(resp);
  if (resp.status === 204) return null;
  return resp.json().catch(() => null);
}

// POST /v1/ask with stream: calls onDelta(text) per answer.delta event and resolves with the answer.done
// event (the whole /v1/ask response). EventSource cannot POST, so the stream is read from fetch.
export async function askStreaming(question, { onDelta, signal }) {
  const resp = await send("v1/ask", {
    method: "POST", signal,
    headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify({ question, stream: true }),
  });
  if (!resp.ok) throw await errorOf(resp);
  if (!(resp.headers.get("Content-Type") || "").startsWith("text/event-stream")) return resp.json();
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let done = null;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (err) {
      if (err.name === "AbortError") throw err;
      break; // connection dropped: reported below as an incomplete answer
    }
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    const blocks = buffer.split(/\r?\n\r?\n/);
    buffer = blocks.pop();
    for (const block of blocks) {
      const event = parseEvent(block);
      if (event?.type === "answer.delta") onDelta(String(event.text ?? ""));
      else if (event?.type === "answer.done") done = event;
    }
  }
  if (!done) throw new ApiError(0, "stream_broken", "回答中途中断，没有收到完整的答案");
  return done;
}

function parseEvent(block) {
  const data = block.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart());
  if (!data.length || data.join("\n") === "[DONE]") return null;
  try { return JSON.parse(data.join("\n")); } catch { return null; }
}
