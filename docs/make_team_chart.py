"""Draw docs/team-chart.png, the README's example chart, through the real store and team verbs.

Run: .venv/bin/python -m docs.make_team_chart  (the ratings below are made up for the picture)
"""

from __future__ import annotations

from pathlib import Path

from bot.loading import load_guide
from bot.team import Teams
from storage import Store

OUT = Path(__file__).with_name("team-chart.png")
# Six made-up raters and their ratings for the seven statements, in content order.
RATERS = {
    "Olive": [3, 2, 2, 3, 2, 2, 1],
    "Raj": [3, 2, 3, 4, 2, 3, 1],
    "Sam": [2, 1, 2, 3, 3, 2, 2],
    "Lee": [3, 4, 2, 4, 2, 2, 1],
    "Priya": [4, 2, 3, 3, 3, 2, 1],
    "Tom": [3, 1, 2, 4, 2, 4, 1],
}


def main() -> None:
    """Build a demo round in memory and write its chart."""
    guide = load_guide()
    ids = [s.id for s in guide.content.statements]
    with Store.open(":memory:") as store:
        olive = store.participant_for("1")
        round_ = store.create_round(
            olive,
            organisation="Kirklees Council",
            name="Workforce self-evaluation, December 2026",
            statement_ids=ids,
            display_name="Olive",
        )
        for n, (name, ratings) in enumerate(RATERS.items(), start=1):
            person = store.participant_for(str(n))
            store.join_round(round_.id, person, name)
            evaluation = store.start_evaluation(person, round_.organisation, round_id=round_.id)
            for statement_id, rating in zip(ids, ratings, strict=True):
                store.record_rating(evaluation, statement_id, rating)
        store.agree_rating(round_.id, ids[0], 3, olive)
        store.agree_rating(round_.id, ids[1], 2, olive)
        picture = Teams(store, guide.content, frozenset()).chart(round_)
    assert picture is not None
    OUT.write_bytes(picture)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
