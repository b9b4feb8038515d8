"""Short forms resolved from the corpus (understanding/abbreviations.py) and where they count (premises.py)."""
from documents.models import Chunk
from qa_service.understanding.abbreviations import Abbreviations, document_texts
from qa_service.understanding.entity_grounding import _compact
from qa_service.understanding.premises import Premises

TEXTS = ["中国共产党南阳市第七次代表大会开幕。工业和信息化部印发通知。",
         "中国共产党南阳市第七次代表大会报告提出，工业和信息化部、发展改革委联合推进。",
         "党员代表参加座谈会。"]  # 党…代…会 once more, in unrelated words: chance, not a long form


def test_a_short_form_resolves_to_the_long_forms_the_corpus_repeats():
    abbreviations = Abbreviations(lambda: TEXTS)
    assert abbreviations.long_forms("工信部") == ("工业和信息化部",)
    assert abbreviations.long_forms("党代会") == ("党南阳市第七次代表大会",)
    assert abbreviations.long_forms("发改委") == ()  # written out once only: as likely chance
    assert abbreviations.long_forms("鸿蒙") == () and abbreviations.long_forms("工部") == ()  # two characters: too few
    assert abbreviations.long_forms("GDP") == () and abbreviations.long_forms("工业和信息化部") == ()  # not short forms
    assert abbreviations.written_out("工信部", "今年工业和信息化部发布") and not abbreviations.written_out("工信部", "国务院")


def test_a_long_form_is_a_stretch_of_han_characters_not_bounded_only_by_its_length():
    # the characters must stand in one run of Han characters, each gap at most MAX_GAP characters
    abbreviations = Abbreviations(lambda: ["科学技术创新委员会成立。科学技术创新委员会开会。", "科，创。委；科，创。委"])
    assert abbreviations.long_forms("科创委") == ("科学技术创新委",)


def test_document_texts_count_the_overlap_of_passages_once():
    text = "甲乙丙丁戊己庚辛"
    chunks = [Chunk(f"c{i}", "d.txt", "t", "", text[s:e], s, e, 1, 1) for i, (s, e) in enumerate([(0, 5), (3, 8)])]
    assert document_texts(chunks) == [text]


def test_a_named_short_form_is_not_called_never_mentioned_when_the_corpus_writes_it_out():
    corpus = _compact("".join(TEXTS))
    with_long_forms = Premises(corpus, Abbreviations(lambda: TEXTS))
    assert with_long_forms.absent((), ("党代会", "鸿蒙")) == ["鸿蒙"]
    assert with_long_forms.names(_compact(TEXTS[1]), "工信部")
    assert Premises(corpus).absent((), ("党代会", "鸿蒙")) == ["党代会", "鸿蒙"]  # QA_ABBREVIATIONS=false
