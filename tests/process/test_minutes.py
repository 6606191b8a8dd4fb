"""The minutes show a proposal's whole history, derived from the log."""

from __future__ import annotations

from protocol.kinds import Choice, Stance
from protocol.minutes import minutes, utc
from protocol.testing import Scenario

TEN = tuple(f"m{i}" for i in range(10))


def test_utc_formats_without_a_clock() -> None:
    assert utc(0) == "1970-01-01 00:00:00Z"
    assert utc(951_782_400) == "2000-02-29 00:00:00Z"
    assert utc(1_790_000_000) == "2026-09-21 14:13:20Z"


def test_minutes_record_everything_that_happened() -> None:
    sc = Scenario(TEN)
    names = {sc.key(n): n for n in TEN} | {sc.key("mallory"): "mallory"}
    p = sc.propose("m0", title="Plant a garden", text="We plant it.")
    sc.comment("m8", p, "too costly", Stance.OPPOSE)
    sc.close(p)
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.vote("mallory", p, Choice.FOR)
    before = sc.heads()
    sc.close(p)
    sc.vote("m7", p, Choice.AGAINST, parents=before)
    sc.grievance("m8", p, "cost", text="seeds cost money")
    seq = sc.seq["m9"] + 1
    base = sc.heads()
    sc.grievance("m9", p, "cost", text="a", parents=base, seq=seq)
    sc.grievance("m9", p, "harm", text="b", parents=base, seq=seq)
    sc.close(p)
    text = "\n".join(minutes(sc.assembly(), p, names))
    assert "# Minutes: Plant a garden" in text
    assert "[discussion] m8 comments (oppose): “too costly”" in text
    assert "[temperature] m0 votes FOR — counted" in text
    assert "mallory votes FOR — *ignored: author is not a member" in text
    assert "m7 votes AGAINST — *late" in text
    assert "stage temperature closed** by the facilitator: not_passed (FOR 8, AGAINST 2" in text
    assert "“cost” (not a deal-breaker)" in text and "m8: “seeds cost money”" in text
    assert "equivocation by m9" in text
    assert "**Stage now: minor_round**" in text
    # the same log on another node prints the same minutes
    assert minutes(sc.assembly(), p, names) == text.split("\n")


def test_body_minutes_give_the_overview() -> None:
    from protocol.minutes import body_minutes

    sc = Scenario(("ana", "bea", "cruz"))
    names = {sc.key(n): n for n in ("ana", "bea", "cruz", "fern")}
    m = sc.admit("ana", "fern")
    sc.votes(m, yes=["ana", "bea"])
    sc.close(m)
    p = sc.to_first_check("bea")
    sc.votes(p, yes=["ana", "bea", "cruz", "fern"])
    sc.close(p)
    sc.close(p)
    text = "\n".join(body_minutes(sc.assembly(), names))
    assert "## Members (4)" in text and "- fern" in text
    assert "proposal “Plant a garden” by bea: carried, verdict passed" in text
    assert "admission “admission” by ana: adopted" in text
    assert "- join fern" in text


def test_body_minutes_list_mandates_with_their_status() -> None:
    from protocol.minutes import body_minutes

    sc = Scenario()
    p = sc.to_first_check("ana")
    sc.votes(p, yes=["ana", "bea", "cruz", "dev", "eli"])
    sc.close(p)
    sc.close(p)
    m = sc.mandate("ana", p, "bea", sc.now + 100, scope="buy seeds")
    sc.votes(m, yes=["ana", "cruz", "dev"])
    sc.close(m)
    names = {sc.key(n): n for n in ("ana", "bea", "cruz", "dev", "eli")}
    text = "\n".join(body_minutes(sc.assembly(), names, now=sc.now))
    assert "- bea: “buy seeds” until" in text and "— active" in text
    for n in ("cruz", "dev", "eli"):
        sc.recall(n, m)
    text = "\n".join(body_minutes(sc.assembly(), names, now=sc.now))
    assert "— recalled (recalled by" in text
