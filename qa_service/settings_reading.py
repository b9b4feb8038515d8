"""The Retrieval and Answering sections of the settings: how passages are found and ranked, and when an answer
is given or refused. Settings (settings.py) inherits them; split out because settings.py holds every section
(one file of one dataclass would pass 300 lines)."""
from __future__ import annotations

from dataclasses import dataclass

from qa_service.query_limits import TOP_K_MAX, TOP_K_MIN
from qa_service.settings_loading import section

RETRIEVERS, READERS = ("bm25", "dense", "hybrid"), ("detail", "quote")
RERANKERS = ("reading-evidence", "sentence-evidence", "none")
FURTHER_SCOPES = ("section", "adjacent", "any")  # readers/further_reading.py SCOPES: the same names
_retrieval, _answering = section("Retrieval"), section("Answering")


@dataclass(frozen=True)
class ReadingSettings:
    # --- Retrieval.
    retriever: str = _retrieval("hybrid", "`bm25`, `dense` or `hybrid` (`--retriever`)", choices=RETRIEVERS)
    hybrid_lexical_weight: float = _retrieval(0.6, "BM25 share of the fused score (tuned on dev)", between=(0.0, 1.0))
    hybrid_candidates: int = _retrieval(50, "candidates from each retriever before fusion", between=(1, 1000))
    reranker: str = _retrieval("reading-evidence", "second stage over the candidates: sentence evidence with what "
                               "the reader finds in each sentence (`reading-evidence`), without it "
                               "(`sentence-evidence`), or `none`", choices=RERANKERS)
    rerank_candidates: int = _retrieval(20, "candidates reranked", between=(1, 200))
    reading_leads: bool = _retrieval(True, "with the `reading-evidence` reranker, the passage the reader answers "
                                     "from is ranked first (search and ask)")
    rerank_weight: float = _retrieval(0.5, "share of sentence evidence in the final score (tuned on dev)",
                                      between=(0.0, 1.0))
    rerank_prior: str = _retrieval("top", "the first-stage score in the final one: a share of the best candidate's "
                                   "(`top`) or min-max scaled over the candidates", choices=("top", "min-max"))
    rerank_quoted: bool = _retrieval(True, "with `reading-evidence`, a quote holding every term the question quotes "
                                     "(《专利管理办法》) whole is worth 0.2 more")
    top_k: int = _retrieval(5, "passages returned when a request does not say (`top_k` of the API, `--top-k`)",
                            between=(TOP_K_MIN, TOP_K_MAX))

    # --- Answering: when to abstain, and bounded work per question. The quote reader is the reader of earlier
    # versions, kept for comparison; min coverage 0.30 measured best on the three dev sets (docs/evaluation.md).
    reader: str = _answering("detail", "which sentence answers, or why none does: `detail` or `quote` "
                             "(qa_service/readers/)", choices=READERS)
    answer_min_coverage: float = _answering(0.30, "detail reader: share of the question's terms (IDF-weighted, "
                                            "close words counting) an answering sentence must state",
                                            between=(0.0, 1.0))
    # dev: 5 with `section` answered one more paraphrase (refused 4 -> 3 of 48), no unanswerable question answered;
    # with `any` 4 of 57 unanswerable questions were answered (docs/evaluation.md).
    answer_read_further: int = _answering(5, "detail reader: when no sentence of the top 3 passages states the asked "
                                          "detail, the passages down to this rank are read too (3: no further)",
                                          between=(3, TOP_K_MAX))
    answer_read_further_scope: str = _answering("section", "detail reader: which of those lower passages are read: of "
                                                "a section (document, title, headings) of the top 3 (`section`), "
                                                "next to one of them in it (`adjacent`), or all (`any`)",
                                                choices=FURTHER_SCOPES)
    answer_acronyms: bool = _answering(True, "detail reader: an acronym the question writes next to its question word "
                                       "(PUE控制在多少) names the asked detail, in a clause writing it or the long form "
                                       "the corpus writes beside it (电能使用效率（PUE）; with QA_ABBREVIATIONS)")
    abbreviations: bool = _answering(True, "a named thing the question writes short (工信部) counts as present where the "
                                     "text writes a long form the corpus repeats (工业和信息化部; understanding/abbreviations.py)")
    bilateral_forms: bool = _answering(True, "a partner country the question names (以色列) counts as present where the "
                                       "text writes its bilateral form (中以; understanding/bilateral_forms.py)")
    end_dates: bool = _answering(True, "detail reader: a question asking until when (管到哪天为止) is answered by the second "
                                 "date of a range (…至 2030年 12月 31日) without its own verb; a range's first date never "
                                 "answers it (understanding/end_dates.py)")
    numbered_titles: bool = _answering(True, "detail reader: when the question names a document by its number "
                                       "(财关税〔2021〕5号) and a passage's title or headings hold it, the question's words "
                                       "there count as stated toward coverage, not half (understanding/document_numbers.py)")
    counted_premises: bool = _answering(True, "detail reader: a count the question takes for granted (定在20家以上) that "
                                        "the passage states otherwise after the same words (三级综合医院9家以上) is "
                                        "corrected, not answered (understanding/premises.py)")
    list_counts: bool = _answering(True, "detail reader: 哪三个 is answered by three items, or an enumeration the "
                                   "text counts as three, named in the enumeration's own clause (else at least "
                                   "three, in the quote)")
    short_answers: bool = _answering(True, "answer with the short answer inside the quote when one is found "
                                     "(`QA_SHORT_ANSWER_SCOPE`), else the quote; the citation keeps the quote")
    # `lists`: char-F1 0.438 -> 0.484, no gold lost against `figures`; `all` lost some (docs/evaluation.md).
    short_answer_scope: str = _answering("lists", "which answers are shortened: `figures` (the asked figure with its "
                                         "unit, date or organisation, when the reader found the only one), `lists` "
                                         "(and the enumeration a list question asks for, when surely it) or `all` "
                                         "(and the clause that answers any other question)",
                                         choices=("figures", "lists", "all"))
    answer_min_support: float = _answering(0.35, "quote reader: abstain when the top passage holds less of the "
                                           "question's IDF-weighted terms", between=(0.0, 1.0))
    answer_min_dense: float = _answering(0.70, "quote reader: abstain when a dense-scored top passage is less "
                                         "similar", between=(-1.0, 1.0))
    max_question_chars: int = _answering(2000, "longer questions are refused (422 over HTTP)", between=(1, 1_000_000))
    # 45 s lets one full QA_LLM_TIMEOUT attempt (30 s) and a shorter retry through, and answers before a
    # reverse proxy's usual 60 s read timeout gives up on the client; without an LLM an ask takes well under 1 s.
    ask_deadline_seconds: float = _answering(45.0, "deadline of one ask or chat completion, LLM calls and their "
                                             "retries included", between=(1.0, 3600.0))
