"""The page's words (demo/strings): every phrase in every language, the same {places} in each,
every phrase the code asks for exists and every phrase is asked for; Python's status sentences
in each language."""
import re

import pytest

from demo.app import Predictor, describe
from demo.reading import status
from demo.strings import LANGUAGES, TABLES, language_or_default, say
from model import PRESETS, load_model
from tests.helpers import ROOT, draw_digit

PLACE = re.compile(r"\{(\w+)\}")
# The code names a phrase in say("key" ...), say(`key` ...), data-say*="key", a GATE_WORDS entry,
# or builds the key from a prefix and a name (these prefixes, with what follows them listed).
ASKED = re.compile(r"""(?:say\(|data-say(?:-html|-label)?=|: )["'`]((?:page|canvas|status|views|whatif|mattered|quiz|model|language)\.[\w.]+)["'`]""")
BUILT = {"model.recipe_": ("published", "default"), "model.cell_": ("lstm", "gru", "rnn")}


def source_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for folder in ("demo", "demo/engine")
                     for path in sorted((ROOT / folder).glob("*.[jp][sy]")))


def test_every_language_has_every_phrase_with_the_same_places_and_none_empty():
    english = TABLES[LANGUAGES[0]]
    for language, table in TABLES.items():
        assert set(table) == set(english), f"{language}: {sorted(set(table) ^ set(english))}"
        for key, phrase in table.items():
            assert phrase.strip(), f"{language} {key} is empty"
            assert set(PLACE.findall(phrase)) == set(PLACE.findall(english[key])), f"{language} {key}"
            assert "{{" not in phrase and phrase.count("{") == phrase.count("}"), f"{language} {key}"


def test_every_phrase_the_code_asks_for_exists_and_every_phrase_is_asked_for():
    text = source_text()
    asked = set(ASKED.findall(text)) | {prefix + name for prefix, names in BUILT.items() for name in names}
    asked |= {"status.digit", "status.digit_8", "status.sure_from_row", "status.sure_from_row_both_ways",
              "views.layer_way", "views.model_layer_way", "views.readout_column", "views.panel_label_bars",
              "views.units_caption_peak", "views.unit_title_way", "views.compare_says_from_row", "views.signed_h",
              "views.pause", "model.network_both_ways", "model.about_trained", "model.about_published"}
    assert asked <= set(TABLES["en"]), sorted(asked - set(TABLES["en"]))
    for key in TABLES["en"]:  # each key's text appears in the code (built keys: their stem)
        assert key in asked or key.rsplit("_", 1)[0] in text or key in text, f"{key} is never used"


def test_the_chinese_table_is_chinese():
    """Every Chinese phrase holds Chinese characters, or only technical names and numbers."""
    technical = re.compile(r"^[-\s\d.,:()|=+*/_^\u2212\u2192\u3000-\u303f\uff00-\uffefa-zA-Z]*$")
    for key, phrase in TABLES["zh-CN"].items():
        phrase = PLACE.sub("", phrase)
        if re.search(r"[\u4e00-\u9fff]", phrase):
            continue
        assert technical.match(phrase) and not re.search(r"\b(?!h_t|c_t|tanh|LSTM|GRU|PNG)[a-zA-Z]{3,}\b", phrase), key


def test_status_sentences_in_each_language():
    sure = {"probs": [0.01, 0.02, 0.03, 0.0, 0.01, 0.0, 0.0, 0.9, 0.02, 0.01], "unsure": False, "decision_row": 12,
            "model": {"directions": 2}}
    assert status(sure) == ("It reads a **7** (90% sure); P(7) stays above one half from row 12 on "
                            "(by then its backward half has read rows 28 to 12).")
    assert status(sure, "zh-CN") == ("识别为 **7**（把握 90%）；从第 12 行起，P(7) 一直高于一半"
                                     "（此时它的反向部分已经读过第 28 行到第 12 行）。")
    unsure = {**sure, "probs": [0.0, 0.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.45, 0.25], "unsure": True}
    assert status(unsure, "zh-CN").startswith("**没有把握**：可能是 8（45%），也可能是 3（30%）。")


def test_the_predictor_answers_in_the_language_asked_for_and_refuses_others():
    predictor = Predictor(load_model(PRESETS["lstm64"].weights_path()))
    seven = draw_digit("7")
    assert predictor.answer(seven).status.startswith("It reads a **7**")
    assert predictor.answer(seven, language="zh-CN").status.startswith("识别为 **7**")
    assert predictor.answer(None, language="zh-CN").status == say("status.empty", "zh-CN")
    assert language_or_default(None) == language_or_default("") == "en"
    for odd in ("fr", "x" * 10_000, 7):
        with pytest.raises(Exception, match="unknown language .*choose one of en, zh-CN") as refused:
            predictor.answer(seven, language=odd)
        assert len(str(refused.value)) < 120


def test_model_descriptions_in_each_language():
    model = load_model(PRESETS["gru64"].weights_path()) if "gru64" in PRESETS else load_model()
    english, chinese = describe("m", model), describe("m", model, "zh-CN")
    assert english.startswith("**m**: ") and chinese.startswith("**m**：")
    assert f"{model.num_params():,}" in english and f"{model.num_params():,} 个参数" in chinese
