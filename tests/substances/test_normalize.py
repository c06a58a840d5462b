"""Search keys forgive case, spaces, hyphens, Greek letters and full-width characters."""

import pytest

from substances.normalize import normalize_cas, search_key
from substances.validators import cas_check_digit


@pytest.mark.parametrize("typed", ["5F-ADB", "5f adb", "5FADB", "５Ｆ－ＡＤＢ", " 5f-adb "])
def test_code_names_share_one_key(typed):
    assert search_key(typed) == "5fadb"


@pytest.mark.parametrize(
    "typed", ["α-PVP", "alpha-PVP", "a-PVP", "Alpha PVP", "α－ＰＶＰ", "alphaPVP", "AlphaPVP"]
)
def test_greek_letters_written_any_way_share_one_key(typed):
    assert search_key(typed) == "apvp"


def test_spelled_greek_only_folds_as_a_whole_word():
    assert search_key("alphaprodine") == "alphaprodine"
    assert search_key("beta-hydroxyfentanyl") == search_key("β-hydroxyfentanyl")


def test_chinese_names_keep_their_characters_and_drop_punctuation():
    assert search_key("卡芬太尼") == "卡芬太尼"
    assert search_key("N-(2-甲氧基苄基)，乙胺") == "n2甲氧基苄基乙胺"
    assert search_key("（卡芬太尼）") == "卡芬太尼"


def test_empty_text_has_empty_key():
    assert search_key("") == ""
    assert search_key(" - ") == ""


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("437-38-7", "437-38-7"),
        ("437387", "437-38-7"),
        ("437 38 7", "437-38-7"),
        ("４３７－３８－７", "437-38-7"),
        ("fentanyl", ""),
        ("12", ""),
    ],
)
def test_cas_numbers_normalize_from_any_hyphenation(typed, canonical):
    assert normalize_cas(typed) == canonical


def test_cas_check_digit_of_known_numbers():
    assert cas_check_digit("7732-18-5") == 5  # water
    assert cas_check_digit("76-42-6") == 6  # oxycodone
    assert cas_check_digit("1609-66-1") == 1  # norfentanyl


def test_a_spelled_letter_runs_on_in_a_name_written_in_one_case():
    # "alphaPVP": the capital ends the word; in one case the letters are part of the name.
    assert search_key("betaCEC") == "bcec"
    assert search_key("ALPHAPRODINE") == search_key("alphaprodine") == "alphaprodine"
    assert search_key("Alphacetylmethadol") != search_key("Acetylmethadol")
