"""The password rules, after NIST SP 800-63B §5.1.1.2: a length floor, no composition rules,
and a refusal of passwords an attacker would try first.

Refused: fewer than ``MIN_LENGTH`` or more than ``MAX_LENGTH`` characters (Unicode code
points after NFKC normalisation; spaces and every printable character are allowed, control
characters are not); a password from the shipped list of common and breached passwords
(``data/common-passwords.txt``), also when it is only such a password in other case, with
spaces or separators, with look-alike digits (``p@ssw0rd``) or with a short or predictable
prefix or suffix (``sayang2024``, ``bismillah123456``); repetitions and sequences
(``aaaaaaaaaa``, ``1234567890``, ``qwertyuiop``, ``abcabcabcabc``, ``qwerty123456``); the
username, or the person's name and the site's own words (``pembina``) with little else.
The current password (which, for an account an admin reset, is the temporary password the
admin issued) is refused by :func:`lms.auth.services.change_password`.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from flask_babel import gettext as _

MIN_LENGTH = 10
MAX_LENGTH = 256
# Words of this site that make a guessable password with little else (and the config's
# ``PASSWORD_CONTEXT_WORDS`` add the library's own, e.g. its name and town).
SITE_WORDS = ("pembina",)
# A prefix or suffix that adds next to nothing to a common word: up to this many characters,
# or a sequence/repetition, or itself a common password ("bismillah1234567890").
SHORT_DECORATION = 6
SEPARATORS = re.compile(r"[\s\-_.,/\\|+=~*]+")
NON_LETTERS_AT_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")
LOOK_ALIKES = [str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "1": "i", "!": "i", "$": "s", "5": "s",
                              "7": "t", "+": "t", "8": "b", "9": "g", "6": "g", "2": "z"}),
               str.maketrans({"1": "l", "|": "l", "0": "o", "@": "a", "3": "e", "$": "s", "5": "s"})]
# Keyboard walks and alphabets: a run inside one of these (either direction) is predictable.
SEQUENCES = (
    "0123456789", "1234567890", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm",
    "qwertzuiop", "azertyuiop", "qsdfghjklm", "wxcvbn", "!@#$%^&*()", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
    "qazwsxedcrfvtgbyhnujmikolp", "zaq1xsw2cde3vfr4bgt5nhy6mju7", "1q2w3e4r5t6y7u8i9o0p", "q1w2e3r4t5y6u7i8o9p0",
    "a1b2c3d4e5f6g7h8i9j0", "qweasdzxc", "ewqdsacxz", "147258369", "741852963", "963852741", "789456123",
    "159753", "357159", "951753",
)


def _normal(text: str) -> str:
    """The form passwords are compared in: NFKC (so full-width and composed letters match
    their plain forms) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, normalised; read once per process."""
    text = resources.files("lms.auth").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(_normal(line.strip()) for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def _runs(text: str) -> list[int]:
    """Split ``text`` greedily into predictable runs (one character repeated, or a piece of a
    keyboard walk or alphabet, in either direction) and return their lengths."""
    lengths: list[int] = []
    i = 0
    while i < len(text):
        best = 1
        j = i + 1
        while j < len(text) and text[j] == text[i]:
            j += 1
        best = j - i
        for sequence in SEQUENCES:
            for line in (sequence, sequence[::-1]):
                start = line.find(text[i])
                while start != -1:
                    k = 0
                    while i + k < len(text) and start + k < len(line) and text[i + k] == line[start + k]:
                        k += 1
                    best = max(best, k)
                    start = line.find(text[i], start + 1)
        lengths.append(best)
        i += best
    return lengths


def is_predictable(text: str) -> bool:
    """True for a repeated block (``abcabcabcabc``, ``sayangsayang``) or one made of at most
    two predictable runs, or only of runs of three or more (``qwerty123456``, ``aaaa1111``,
    ``abc123xyz789``)."""
    if not text:
        return True
    for size in range(1, len(text) // 2 + 1):
        if text == (text[:size] * (len(text) // size + 1))[:len(text)]:
            return True
    runs = _runs(text)
    return len(runs) <= 2 or min(runs) >= 3


def _is_common(text: str) -> bool:
    """``text`` is on the list, or is a listed word with a weak prefix or suffix."""
    listed = common_passwords()
    if text in listed:
        return True
    core = NON_LETTERS_AT_ENDS.sub("", text)
    if not core:
        return False
    decoration = text.replace(core, "", 1)
    weak_decoration = (len(decoration) <= SHORT_DECORATION or is_predictable(decoration)
                       or decoration in listed)
    return weak_decoration and any(form in listed for form in (core, *(core.translate(t) for t in LOOK_ALIKES)))


def _context_words(username: str, full_name: str, extra: tuple[str, ...]) -> list[str]:
    words = {_normal(word) for word in re.split(r"[\W_]+", f"{username} {full_name}") if word}
    words |= {_normal(word) for word in (*SITE_WORDS, *extra) if word}
    return sorted((word for word in words if len(word) >= 3), key=len, reverse=True)


def problem(password: str, *, username: str = "", full_name: str = "",
            context: tuple[str, ...] = ()) -> str | None:
    """The reason ``password`` is refused, translated for the reader, or None when it is fine.

    ``context`` adds words of this deployment (``PASSWORD_CONTEXT_WORDS``).
    """
    normal = _normal(password)
    if len(normal) < MIN_LENGTH:
        return _("The password must have at least %(n)d characters.", n=MIN_LENGTH)
    if len(normal) > MAX_LENGTH:
        return _("The password may have at most %(n)d characters.", n=MAX_LENGTH)
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in password):
        return _("The password may not contain control characters (such as tab or line break).")
    name = _normal(username.strip())
    if name and (len(name) >= 3 or name == normal) and name in normal:
        return _("The password must not contain the username.")
    joined = SEPARATORS.sub("", normal)
    forms = {normal, joined}
    if any(_is_common(variant) for form in forms
           for variant in (form, *(form.translate(table) for table in LOOK_ALIKES))):
        return _("This password is on a list of common or leaked passwords. Choose a longer phrase of your own.")
    if any(is_predictable(form) for form in forms):
        return _("This password is too easy to guess: it repeats or follows a sequence (like aaaa or 12345).")
    rest = joined
    for word in _context_words(username, full_name, context):
        rest = rest.replace(word, "")
    if rest != joined:
        letters = re.sub(r"[\W\d_]+", "", rest)
        if len(letters) < 4 or _is_common(rest) or is_predictable(rest):
            return _("The password is too close to your name or to this site's name. Add words of your own.")
    return None
