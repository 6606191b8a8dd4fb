"""spec/keys.md: after the prefix a parser accepts the base32 alphabet in
either case and MUST reject any other character, so every key has exactly
one text up to case. Look-alike characters from outside ASCII are the
realistic way to break that (copy-paste from a chat, a phone keyboard)."""

from __future__ import annotations

import pytest

from protocol.errors import BadKeyText
from protocol.keys import key_from_text, key_to_text, public_key

TEXT = key_to_text(public_key(bytes(32)))


def _with(ch: str, at: int) -> str:
    return TEXT[:at] + ch + TEXT[at + 1 :]


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u0430",  # Cyrillic small a
        "\uff41",  # fullwidth a
        "\u0251",  # Latin alpha
        "\u00e0",  # a with grave
    ],
)
def test_non_ascii_lookalikes_are_rejected_with_their_position(lookalike: str) -> None:
    i = TEXT.index("a", 3)
    with pytest.raises(BadKeyText, match="not in the alphabet") as info:
        key_from_text(_with(lookalike, i))
    assert info.value.offset == i


def test_every_position_accepts_its_upper_case() -> None:
    for i in range(3, len(TEXT)):
        assert key_from_text(_with(TEXT[i].upper(), i)) == public_key(bytes(32))


def test_kelvin_sign_is_not_the_letter_k() -> None:
    i = TEXT.index("k", 3)
    with pytest.raises(BadKeyText):
        key_from_text(_with("\u212a", i))
