"""A small, hand-countable monitoring fixture: two kab/kota with work plans in every state, on
a frozen clock (Monday 18 May 2026, noon in Jakarta)."""

from datetime import date, datetime

import pytest

from core.deadlines import JAKARTA
from core.services import grant_extension
from monitoring.queries import recap_items
from program.models import Stage, WorkPlanActivity
from program.queries import work_plan_items

NOW = datetime(2026, 5, 18, 12, tzinfo=JAKARTA)


@pytest.fixture
def work_plan_and_recap_only(monkeypatch):
    """For the few tests whose figures are counted by hand from the work plan and the recap
    alone (they ask for this fixture by name): the dashboard runs only those two providers.
    Every other test runs every app's provider; the figures of the dashboard with all five are
    counted by hand in test_dashboard_every_provider.py."""
    monkeypatch.setattr("monitoring.queries.PROVIDERS", [work_plan_items, recap_items])


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def activity(village, name, end, *, realised=None, stage=Stage.PELAKSANAAN, start=None):
    return WorkPlanActivity.objects.create(
        village=village,
        stage=stage,
        name=name,
        planned_start=start or date(2026, 4, 1),
        planned_end=end,
        realised_on=realised,
    )


@pytest.fixture
def plan(village_rejang_lebong, village_kaur, ketua_tim, rejang_lebong):
    """Rejang Lebong: on time, late, overdue, due soon, not yet due, and one under extension.
    Kaur: three overdue and one on time. Returns the activities by name."""
    rl, kaur = village_rejang_lebong, village_kaur
    items = {
        "on_time": activity(
            rl, "Sosialisasi", date(2026, 5, 10), realised=date(2026, 5, 8), stage=Stage.KOORDINASI
        ),
        "late": activity(
            rl,
            "Identifikasi",
            date(2026, 5, 5),
            realised=date(2026, 5, 12),
            stage=Stage.IDENTIFIKASI,
        ),
        "overdue": activity(rl, "Rencana", date(2026, 5, 15), stage=Stage.PERENCANAAN),
        "soon": activity(rl, "Pelatihan agen", date(2026, 5, 20)),
        "later": activity(rl, "Publikasi", date(2026, 7, 31), stage=Stage.MONEV),
        "extended": activity(rl, "Website desa", date(2026, 5, 12)),
        "kaur_1": activity(kaur, "Sosialisasi Kaur", date(2026, 4, 30), stage=Stage.KOORDINASI),
        "kaur_2": activity(kaur, "Identifikasi Kaur", date(2026, 5, 1), stage=Stage.IDENTIFIKASI),
        "kaur_done": activity(
            kaur,
            "Rencana Kaur",
            date(2026, 5, 2),
            realised=date(2026, 5, 2),
            stage=Stage.PERENCANAAN,
        ),
        "kaur_3": activity(kaur, "Pelatihan Kaur", date(2026, 5, 3)),
    }
    grant_extension(
        items["extended"],
        office=rejang_lebong,
        until=date(2026, 5, 25),
        reason="Server desa rusak",
        by=ketua_tim,
    )
    return items
