"""The scorecards' times are the median and p90 of the stays' minutes, picked by
the database: the same as computing them in Python from every value."""

import random
import statistics
from datetime import timedelta

from baton_workspace.projection.models import Stay
from baton_workspace.scorecards import service

from .conftest import T0


async def test_medians_and_p90s_from_the_database_match_every_value_sorted(world):
    rng = random.Random(7)
    minutes = {"finance": [rng.uniform(1, 600) for _ in range(41)], "it": [5.0, 9.0]}
    async with world.workspace.state.runtime.db.transaction() as session:
        for department, values in minutes.items():
            for n, value in enumerate(values):
                started = T0 + timedelta(hours=n)
                session.add(
                    Stay(
                        issue_id=f"{department}-{n}", seq=1, department=department,
                        via="routing", owner_id="p", credited_to=f"{department}-p{n % 3}",
                        started_at=started, acknowledged_at=started + timedelta(minutes=value),
                        acknowledge_minutes=value,
                    )
                )  # fmt: skip
    async with world.workspace.state.runtime.db.session() as session:
        scores = await service.scores(session, now=T0 + timedelta(days=3))
    for department, values in minutes.items():
        ordered = sorted(values)
        card = scores.departments[department].acknowledge
        assert card.count == len(values)
        assert card.median == round(statistics.median(ordered), 1)
        assert card.p90 == round(ordered[service.p90_index(len(values))], 1)
    assert scores.departments["finance"].assigned == 41
    assert sum(c.assigned for c in scores.people.values()) == 43
