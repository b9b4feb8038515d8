// Citation markers in an answer, and which sentence of a cited passage supports it.

// The service normalises markers to [n]; full-width brackets are accepted as the server accepts them.
const MARKER = /[\[［【]\s*(\d{1,3})\s*[\]］】]/g;
const SENTENCE_END = /[。！？；!?;\n]/;
const IGNORED = /[\s，。！？；：、“”‘’（）《》【】\[\]［］,.!?;:()"'·…—-]/;

// The answer as [{text}] and [{ref}] pieces, in order.
export function segments(answer) {
  const out = [];
  let last = 0;
  for (const m of answer.matchAll(MARKER)) {
    if (m.index > last) out.push({ text: answer.slice(last, m.index) });
    out.push({ ref: Number(m[1]), raw: m[0] });
    last = m.index + m[0].length;
  }
  if (last < answer.length) out.push({ text: answer.slice(last) });
  return out;
}

export function withoutMarkers(text) {
  return text.replace(MARKER, "");
}

// Sentence spans [start, end) of a text, each ending after its punctuation.
export function sentences(text) {
  const spans = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (SENTENCE_END.test(text[i])) {
      push(start, i + 1);
      start = i + 1;
    }
  }
  push(start, text.length);
  return spans;

  function push(from, to) {
    while (from < to && /\s/.test(text[from])) from++; // a highlight starts at the first character
    if (from < to && text.slice(from, to).trim()) spans.push({ start: from, end: to });
  }
}

// The answer sentences that carry marker [ref], markers removed: what the passage is cited for.
// A marker after the full stop ("…所。[1]") cites the sentence before it.
export function citingText(answer, ref) {
  const cited = new Set();
  let previous = "";
  for (const { start, end } of sentences(answer)) {
    const piece = answer.slice(start, end);
    const text = withoutMarkers(piece).trim();
    const owner = text || previous;
    if (owner && [...piece.matchAll(MARKER)].some((m) => Number(m[1]) === ref)) cited.add(owner);
    if (text) previous = text;
  }
  return [...cited].join("");
}

function counts(text) {
  const bag = new Map();
  for (const ch of text) if (!IGNORED.test(ch)) bag.set(ch, (bag.get(ch) || 0) + 1);
  return bag;
}

function shared(a, b) {
  let n = 0;
  for (const [ch, k] of a) n += Math.min(k, b.get(ch) || 0);
  return n;
}

// Where `needle` occurs in `hay` when whitespace is ignored (PDF text may wrap differently).
function looseFind(hay, needle) {
  const tight = needle.replace(/\s+/g, "");
  if (!tight) return null;
  const index = [];
  let compact = "";
  for (let i = 0; i < hay.length; i++) {
    if (!/\s/.test(hay[i])) { compact += hay[i]; index.push(i); }
  }
  const at = compact.indexOf(tight);
  if (at < 0) return null;
  return { start: index[at], end: index[at + tight.length - 1] + 1 };
}

// The span of `passage` that supports the answer: the citation's quote when it is found there, else the
// passage sentence sharing most characters with what cites it (the longer one on a tie).
export function supportSpan(passage, quote, citing) {
  if (quote) {
    const at = passage.indexOf(quote);
    if (at >= 0) return { start: at, end: at + quote.length };
    const loose = looseFind(passage, quote);
    if (loose) return loose;
  }
  const target = counts(citing || quote || "");
  let best = null;
  for (const span of sentences(passage)) {
    const score = shared(counts(passage.slice(span.start, span.end)), target);
    const length = span.end - span.start;
    if (score > 0 && (!best || score > best.score || (score === best.score && length > best.length))) {
      best = { ...span, score, length };
    }
  }
  return best && { start: best.start, end: best.end };
}
