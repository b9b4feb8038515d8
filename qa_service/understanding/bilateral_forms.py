"""Bilateral short forms: a question naming 以色列 is about what the text writes as 中以 (中以生物产业投资基金).

Chinese writes a relation between China and a partner country as 中 followed by the partner's short form (中美,
中德, 中以, 中俄): the partner's full name may appear nowhere near. SHORT_FORMS lists the usual short forms of
country and region names; it is general knowledge of Chinese usage (the forms used in 中美关系, 中日韩, 中欧班列 and
in the names of bilateral bodies), not words taken from any question set.

`中` + short form is also written by chance across a word boundary (其中以…, 集中以…, 在工作中以…): an occurrence
counts only where the dictionary cut of its neighbourhood makes 中 a word of its own (or the pair one word) and the
short form the whole next word (中英文 and 中日益 do not count). One known chance match remains: a locative 中
followed by the preposition 以 (在发展中以创新为动力) is cut the same way as 中以 of China–Israel.
"""
from __future__ import annotations

import jieba

# Partner -> its short form after 中 (general knowledge of Chinese usage; 南非 is left out: 中南 is a region).
SHORT_FORMS = {
    "美国": "美", "日本": "日", "俄罗斯": "俄", "德国": "德", "法国": "法", "英国": "英", "意大利": "意",
    "加拿大": "加", "澳大利亚": "澳", "新西兰": "新", "韩国": "韩", "朝鲜": "朝", "印度": "印", "巴基斯坦": "巴",
    "新加坡": "新", "马来西亚": "马", "泰国": "泰", "越南": "越", "老挝": "老", "柬埔寨": "柬", "缅甸": "缅",
    "菲律宾": "菲", "印度尼西亚": "印尼", "印尼": "印尼", "蒙古": "蒙", "哈萨克斯坦": "哈", "以色列": "以",
    "埃及": "埃", "伊朗": "伊", "土耳其": "土", "沙特阿拉伯": "沙", "沙特": "沙", "西班牙": "西", "葡萄牙": "葡",
    "荷兰": "荷", "比利时": "比", "瑞士": "瑞", "瑞典": "瑞", "芬兰": "芬", "丹麦": "丹", "挪威": "挪",
    "奥地利": "奥", "希腊": "希", "波兰": "波", "捷克": "捷", "匈牙利": "匈", "塞尔维亚": "塞", "白俄罗斯": "白",
    "乌克兰": "乌", "巴西": "巴", "阿根廷": "阿", "墨西哥": "墨", "智利": "智", "秘鲁": "秘", "古巴": "古",
    "尼日利亚": "尼", "肯尼亚": "肯", "埃塞俄比亚": "埃", "爱尔兰": "爱", "欧盟": "欧", "欧洲": "欧",
    "非洲": "非", "拉美": "拉", "阿拉伯": "阿",
}
CONTEXT_CHARS = 6  # characters cut on each side of an occurrence (enough for the word holding 中 or after the pair)
MAX_PLACES = 50  # occurrences of 中 + short form looked at per text (bounded work whatever the text)


def names_partner(text: str, entity: str) -> bool:
    """`text` (compact: no whitespace or punctuation) writes the bilateral form of `entity` (a country or region
    of SHORT_FORMS) as a word pair of its own: 中以 for 以色列."""
    short = SHORT_FORMS.get(entity)
    if short is None:
        return False
    form = "中" + short
    at = text.find(form)
    for _ in range(MAX_PLACES):
        if at < 0:
            return False
        if _stands_alone(text, at, short):
            return True
        at = text.find(form, at + 1)
    return False


def _stands_alone(text: str, at: int, short: str) -> bool:
    """中 at `at` is a word of its own followed by exactly `short`, or 中+short is one word."""
    begin = max(0, at - CONTEXT_CHARS)
    position, words = begin, iter(jieba.cut(text[begin:at + 1 + len(short) + CONTEXT_CHARS], HMM=False))
    for word in words:
        if position == at:
            return word == "中" + short or (word == "中" and next(words, "") == short)
        if position > at:
            return False
        position += len(word)
    return False
