from embeddings.lexical.bm25_index import BM25Index
from embeddings.lexical.chinese_tokenizer import tokenize


def test_tokenizer_drops_question_words_and_punctuation():
    tokens = tokenize("海淀区有多少所高等院校？")
    assert "海淀区" in tokens and "高等院校" in tokens
    assert "多少" not in tokens and "？" not in tokens


def test_tokenizer_normalises_width_and_case():
    assert tokenize("ＩＰｖ６规模部署") == tokenize("ipv6规模部署")


def test_bm25_ranks_matching_text_first_and_round_trips(tmp_path):
    texts = ["海淀区目前有北大、清华等高等院校 33 所", "中国电科开放仪器设备", "海淀区的创业大街"]
    index = BM25Index.build(texts)
    scores = index.scores("海淀区有多少所高等院校")
    assert scores.argmax() == 0 and scores[1] == 0
    assert index.idf("高等院校") > index.idf("海淀区")  # rarer term, more weight
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path, len(texts))
    assert list(loaded.scores("海淀区有多少所高等院校")) == list(scores)


def test_unknown_query_scores_zero():
    index = BM25Index.build(["中国电科开放仪器设备"])
    assert index.scores("红烧肉").tolist() == [0.0]


def test_tokenizer_configuration_is_saved_with_the_index(tmp_path):
    from embeddings.lexical.chinese_tokenizer import ChineseTokenizer

    precise = ChineseTokenizer(mode="precise", stop_words=False)
    assert "的" in precise("海淀区的高等院校") and "的" not in ChineseTokenizer()("海淀区的高等院校")
    index = BM25Index.build(["中华人民共和国国民经济和社会发展规划", "海淀区的高等院校"], precise)
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path, 2)
    assert loaded.tokenize == precise
    assert list(loaded.scores("国民经济")) == list(index.scores("国民经济"))
