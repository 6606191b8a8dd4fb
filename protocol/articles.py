"""The articles the people's constitution is founded with (version 1).

Seed 004 lists what the constitution holds: a confederal structure with
temporary and revocable delegates at every level; civil rights; the
guarantee of basic needs; federated workers' councils; the mechanism by
which the people edit it; and, in its description of the Community, the
principles of restorative justice and bodily autonomy. These are its
words, lightly condensed. Every federation starts from this text; the
people change it by initiatives ratified from their Communities' verdicts
(``protocol.federal``, spec/constitution.md).
"""

from __future__ import annotations

FOUNDING_ARTICLES: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "A confederation of assemblies",
        "Every person is a member of one Community and of the Workplace where they work; "
        "Communities and Workplace Councils combine into Municipalities, Municipalities into "
        "Regions, Regions into the Collective. Every body decides by its own assembly. "
        "Delegates are temporary, bound by their mandate and revocable at every level. Each "
        "Community is given equal power, because Communities are of a consistent size and "
        "every person belongs to one Community only.",
    ),
    (
        2,
        "Civil rights",
        "Everyone is free from discrimination, free to express themselves and free to travel, "
        "and everyone has the right to democratic access: to take part in every body whose "
        "decisions affect them. These rights are expanded by democratic mandate.",
    ),
    (
        3,
        "Basic needs",
        "Food, water, shelter, healthcare, transportation and communication, and other needs "
        "as society sees fit, are guaranteed to all.",
    ),
    (
        4,
        "Workers' councils",
        "Products that are not basic necessities are produced and distributed by federated "
        "workers' councils, held accountable through regulation by citizen bodies.",
    ),
    (
        5,
        "Bodily autonomy",
        "The individual's right to bodily autonomy is held sacrosanct: insofar as their actions "
        "involve only themselves and place no other person under coercion, they may do as they "
        "please. Who affects others is accountable for it.",
    ),
    (
        6,
        "Restorative justice",
        "Justice means repairing the wrongs that have been done and preventing further ones. "
        "Punitive justice is not permitted; there are no mandatory minimums. Reparation for "
        "those harmed is a primary concern, and everyone who did harm is treated as capable of "
        "rehabilitation. Community Justice Councils decide reparation and rehabilitation; a "
        "person is separated from society only while an active threat to others.",
    ),
    (
        7,
        "Amendment by the people",
        "Anyone may propose an amendment of this constitution. It is presented to every "
        "Community, which decides it by its own process; it is ratified when the combined "
        "verdicts up to the Collective reach the ratification threshold, and it then applies in "
        "every body. Every body revises its own procedures by its own process, within the "
        "charter.",
    ),
)
