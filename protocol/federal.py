"""The people's constitution: articles, federation-level parameters, and how
the people change them (spec/constitution.md, "The people's constitution").

* ``FederalConstitution`` — a version, the federation-level parameters
  (``rules.FEDERAL_PARAMETERS``: size cap, minimum constituent size,
  ratification threshold) and the articles. Version 1 is the same in every
  federation: the defaults and ``articles.FOUNDING_ARTICLES``. Its
  ``digest()`` names it on the wire.
* ``amended(constitution, initiative)`` — the constitution a
  CONSTITUTION_INITIATIVE proposes, or ``OutOfRange`` naming what is wrong.
* ``initiative_text(initiative)`` — the text every body presents and every
  Community decides: a verdict counts FOR only on exactly this text.
* ``Claim`` — a RATIFICATION as the Collective's fold reads it; whether it
  holds is ``protocol.ratification``'s to check.

Sans-IO and pure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction

from . import canonical
from .articles import FOUNDING_ARTICLES
from .errors import OutOfRange
from .kinds import ConstitutionInitiative
from .rules import FEDERAL_PARAMETERS, PARAMETERS, ProcessRules, amend, to_params

Params = tuple[tuple[int, int, int], ...]
Articles = tuple[tuple[int, str, str], ...]

CONSTITUTION_DOMAIN = b"caracol/0 constitution\x00"
TEXT_DOMAIN = b"caracol/0 text\x00"


def text_hash(text: str) -> bytes:
    """SHA-256("caracol/0 text" 0x00 || UTF-8 text): names a text decided
    (a verdict's, an initiative's)."""
    return hashlib.sha256(TEXT_DOMAIN + text.encode()).digest()


MAX_PRESENTED_TEXT = 10_000
"""A PROPOSAL's text limit (spec/kinds.md): the initiative's text must fit."""


FEDERAL_DEFAULTS: Params = tuple(p for p in to_params(ProcessRules()) if p[0] in FEDERAL_PARAMETERS)


@dataclass(frozen=True, slots=True)
class FederalConstitution:
    version: int = 1
    params: Params = FEDERAL_DEFAULTS
    articles: Articles = FOUNDING_ARTICLES

    def digest(self) -> bytes:
        """SHA-256("caracol/0 constitution" 0x00 || canonical [version,
        params, articles]): what a RATIFICATION and an ADOPTION name."""
        value = (self.version, self.params, self.articles)
        return hashlib.sha256(CONSTITUTION_DOMAIN + canonical.encode(value)).digest()

    def apply_to(self, rules: ProcessRules) -> ProcessRules:
        """A body's rules with this constitution's federation-level values."""
        return amend(rules, self.params)

    def value(self, number: int) -> Fraction:
        for n, num, den in self.params:
            if n == number:
                return Fraction(num, den)
        raise OutOfRange(f"parameter {number} is not a federation-level parameter")

    def article(self, number: int) -> tuple[str, str] | None:
        for n, title, text in self.articles:
            if n == number:
                return title, text
        return None


FOUNDING = FederalConstitution()


def amended(
    constitution: FederalConstitution, initiative: ConstitutionInitiative
) -> FederalConstitution:
    """The constitution ``initiative`` proposes to make of ``constitution``."""
    if initiative.version != constitution.version + 1:
        raise OutOfRange(
            f"amends version {initiative.version - 1}, version {constitution.version} is in force",
            field="version",
        )
    if not initiative.params and not initiative.articles:
        raise OutOfRange(
            "an initiative changes at least one article or parameter", field="articles"
        )
    for i, (number, _, _) in enumerate(initiative.params):
        if number not in FEDERAL_PARAMETERS:
            name = PARAMETERS[number][0] if number in PARAMETERS else "unknown"
            raise OutOfRange(
                f"parameter {number} ({name}) is each body's own procedure, not the people's "
                f"constitution (federation-level: {sorted(FEDERAL_PARAMETERS)})",
                field=f"params[{i}]",
            )
    try:
        amend(constitution.apply_to(ProcessRules()), initiative.params)
    except OutOfRange as exc:
        raise OutOfRange(str(exc), field=exc.field) from None
    params = dict((n, (n, a, b)) for n, a, b in constitution.params)
    for n, num, den in initiative.params:
        f = Fraction(num, den)
        params[n] = (n, f.numerator, f.denominator)
    articles = {n: (n, t, x) for n, t, x in constitution.articles}
    for i, (number, title, text) in enumerate(initiative.articles):
        where = f"articles[{i}]"
        if not title and not text:
            if number not in articles:
                raise OutOfRange(
                    f"article {number} does not exist, so it cannot be repealed", field=where
                )
            del articles[number]
        elif not title or not text:
            raise OutOfRange(
                f"article {number} needs both a title and a text (both empty repeal it)",
                field=where,
            )
        else:
            articles[number] = (number, title, text)
    if len(initiative_text(initiative).encode()) > MAX_PRESENTED_TEXT:
        raise OutOfRange(
            f"the initiative's text is longer than a proposal's {MAX_PRESENTED_TEXT} bytes",
            field="articles",
        )
    return FederalConstitution(
        initiative.version,
        tuple(params[n] for n in sorted(params)),
        tuple(articles[n] for n in sorted(articles)),
    )


def _param_line(number: int, num: int, den: int) -> str:
    value = f"{num}" if den == 1 else f"{num}/{den}"
    return f"Parameter {number} ({PARAMETERS[number][0]}): {value}"


def initiative_text(initiative: ConstitutionInitiative) -> str:
    """The text a body presents for ``initiative`` (spec/constitution.md):
    a heading, then each article change and each parameter, blank-line
    separated, ascending."""
    parts = [f"The people's constitution, version {initiative.version}: amendment"]
    for number, title, text in initiative.articles:
        parts.append(
            f"Article {number} is repealed." if not title else f"Article {number}. {title}\n{text}"
        )
    parts += [_param_line(*p) for p in initiative.params]
    return "\n\n".join(parts)


def constitution_text(constitution: FederalConstitution) -> str:
    """The whole constitution as plain text (for pages and bulletins)."""
    parts = [f"The people's constitution, version {constitution.version}"]
    parts += [f"Article {n}. {title}\n{text}" for n, title, text in constitution.articles]
    parts += [_param_line(*p) for p in constitution.params]
    return "\n\n".join(parts)


@dataclass(frozen=True, slots=True)
class Claim:
    """A RATIFICATION as the Collective's fold reads it: signed by a member,
    naming a valid initiative and the constitution it makes. It applies
    only once a reader has re-derived the combination (``verify``)."""

    ratification: bytes
    initiative: bytes
    text: bytes
    """``text_hash`` of the initiative's text: what the verdicts decided."""
    before: FederalConstitution
    """The constitution in force in the initiative's cut."""
    after: FederalConstitution
