"""Submission codes: unique, random, typo-proof."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judging.nominations.blinding import (
    ALPHABET,
    CODE_LENGTH,
    check_character,
    format_code,
    is_valid_code,
    new_code,
    new_codes,
    parse_code,
)


def test_alphabet_has_no_ambiguous_characters():
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_100k_codes_are_unique_valid_and_well_formed():
    codes = new_codes(100_000)
    assert len(set(codes)) == 100_000
    pattern = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
    assert all(pattern.fullmatch(c) for c in codes)
    assert all(is_valid_code(c) for c in codes[:5000])


def test_codes_are_spread_over_the_alphabet_at_every_position():
    codes = new_codes(20_000)
    for position in range(CODE_LENGTH - 1):
        counts = {ch: 0 for ch in ALPHABET}
        for c in codes:
            counts[c[position]] += 1
        # 625 expected per character; a sequential or id-derived scheme would be far off
        assert min(counts.values()) > 450 and max(counts.values()) < 800


def test_new_code_avoids_existing():
    existing = set(new_codes(10))
    assert new_code(existing) not in existing


def test_new_code_gives_up_when_space_is_exhausted(monkeypatch):
    import judging.nominations.blinding as b

    monkeypatch.setattr(b.secrets, "randbits", lambda k: 0)
    taken = {"0" * 8 + check_character("0" * 8)}
    with pytest.raises(RuntimeError):
        new_code(taken, max_tries=5)


def test_every_single_substitution_is_detected():
    for _ in range(300):
        code = new_code()
        for i in range(CODE_LENGTH):
            for ch in ALPHABET:
                if ch != code[i]:
                    assert not is_valid_code(code[:i] + ch + code[i + 1 :])


def test_every_adjacent_transposition_is_detected():
    for _ in range(3000):
        code = new_code()
        for i in range(CODE_LENGTH - 1):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                assert not is_valid_code(swapped)


def test_adjacent_transposition_detected_for_every_pair_of_characters():
    # exhaustive over all character pairs and positions, on a fixed background
    for i in range(CODE_LENGTH - 2):
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                payload = list("K7QM2XD9")
                payload[i], payload[i + 1] = a, b
                code = "".join(payload) + check_character("".join(payload))
                swapped = code[:i] + b + a + code[i + 2 :]
                assert is_valid_code(code) and not is_valid_code(swapped)


def test_display_form_and_tolerant_parsing():
    code = "K7QM2XD9" + check_character("K7QM2XD9")
    shown = format_code(code)
    assert re.fullmatch(r"[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}", shown)
    assert parse_code(shown) == code
    assert parse_code(shown.lower()) == code
    assert parse_code(" " + shown.replace("-", " ") + " ") == code
    assert is_valid_code(shown.lower())


def test_letters_read_as_digits_as_crockford_says():
    payload = "10A0B1C0"
    code = payload + check_character(payload)
    assert parse_code(code.replace("0", "o").replace("1", "l")) == code
    assert parse_code(code.replace("1", "I")) == code


@pytest.mark.parametrize("text", ["", "ABC", "K7QM2XD9AA", "K7QM2XD9U", "K7QM2XD9*"])
def test_malformed_codes_rejected_with_message(text):
    with pytest.raises(ValueError):
        parse_code(text)
    assert not is_valid_code(text)



@settings(max_examples=300, deadline=None)
@given(payload=st.text(st.sampled_from(ALPHABET), min_size=8, max_size=8), lower=st.booleans())
def test_display_form_round_trips_for_any_payload(payload, lower):
    code = payload + check_character(payload)
    shown = format_code(code)
    assert parse_code(shown.lower() if lower else shown) == code
