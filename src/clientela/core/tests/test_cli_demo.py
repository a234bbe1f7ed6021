"""`clientela demo` loads the activities too: notes, comments, tasks and calendar events, and
says how many of each it added (none the second time)."""

import pytest

from clientela import cli
from clientela.activities.demo import COMMENTS, NOTES
from clientela.agenda.demo import EVENTS
from clientela.tasks.demo import TASKS


@pytest.fixture
def no_migrate(monkeypatch):
    # The test database is migrated already.
    monkeypatch.setattr(cli, "migrate_database", lambda verbosity=0: None)


def test_demo_adds_the_activities_once_and_says_how_many(db, no_migrate, capsys):
    assert cli.main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for line in (
        f"Notes added: {len(NOTES)}",
        f"Comments added: {len(COMMENTS)}",
        f"Tasks added: {len(TASKS)}",
        f"Events added: {len(EVENTS)}",
    ):
        assert line in lines

    assert cli.main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for kind in ("Notes", "Comments", "Tasks", "Events"):
        assert f"{kind} added: 0" in lines
