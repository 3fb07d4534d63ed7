"""LKE test data: a small hand-computable instrument, the shipped 2026 instrument, and an open
assessment with worksheets for the two villages of the shared fixtures."""

import copy
import io

import pytest
from django.core.management import call_command

from lke import services
from lke.models import Instrument, Item, Level, Option, Target, Worksheet
from lke.scoring import instrument_tree, required_items


def _choice(code, scores, *, weight=1, max_score=None, evidence=""):
    return {
        "code": code,
        "text": f"Pertanyaan {code}",
        "kind": "choice",
        "weight": weight,
        "max_score": max_score,
        "evidence": evidence,
        "options": [{"label": f"Opsi {s}", "score": s} for s in scores],
    }


SMALL = {
    "year": 2026,
    "version": 7,
    "title": "LKE uji",
    "nilai_scale": 4,
    "blocks": [
        {
            "code": "N",
            "title": "Usulan",
            "target": "village",
            "scored": False,
            "aspects": [
                {
                    "code": "N",
                    "title": "Usulan",
                    "indicators": [
                        {"code": "N", "title": "Usulan", "items": [_choice("n.1", [1, 0])]}
                    ],
                }
            ],
        },
        {
            "code": "S",
            "title": "Penilaian desa",
            "target": "village",
            "scored": True,
            "tie_break": ["M", "K"],
            "aspects": [
                {
                    "code": "K",
                    "title": "Kapasitas Statistik",
                    "weight": 1,
                    "indicators": [
                        {
                            "code": "K1",
                            "title": "Indikator K1",
                            "weight": 2,
                            "items": [
                                _choice("k1.a", [4, 3, 2, 1], evidence="SK agen"),
                                _choice("k1.b", [1, 0], weight=3),
                                {"code": "k1.h", "text": "Judul", "kind": "heading"},
                                {"code": "k1.t", "text": "Tuliskan", "kind": "text"},
                            ],
                        },
                        {
                            "code": "K2",
                            "title": "Indikator K2",
                            "weight": 1,
                            "items": [_choice("k2.a", [4, 3, 2, 1])],
                        },
                    ],
                },
                {
                    "code": "M",
                    "title": "Manajemen Data",
                    "weight": 3,
                    "indicators": [
                        {
                            "code": "M1",
                            "title": "Indikator M1",
                            "items": [
                                _choice("m1.a", [4, 3, 2, 1]),
                                _choice("m1.z", [4, 3, 2, 1], weight=0),
                            ],
                        }
                    ],
                },
            ],
        },
        {
            "code": "O",
            "title": "Kantor",
            "target": "office",
            "scored": True,
            "aspects": [
                {
                    "code": "A",
                    "title": "Pembinaan",
                    "indicators": [
                        {"code": "A1", "title": "A1", "items": [_choice("o.a", [2, 1, 0])]}
                    ],
                }
            ],
        },
    ],
}


def small_workbook_data(version: int = 9) -> dict:
    """SMALL with its village block "S" scored by the workbook's formula (weight base 1) and a
    slip like the workbook's 14.a.2: k2.a (scores 4–1) divided by 1, not by its range."""
    data = copy.deepcopy(SMALL) | {"version": version}
    block = next(b for b in data["blocks"] if b["code"] == "S")
    block |= {"formula": "workbook", "weight_base": 1}
    for aspect in block["aspects"]:
        for indicator in aspect["indicators"]:
            for it in indicator["items"]:
                if it["code"] == "k2.a":
                    it["score_divisor"] = 1
    return data


@pytest.fixture
def small_data():
    return copy.deepcopy(SMALL)


@pytest.fixture
def small_instrument(db) -> Instrument:
    return services.create_instrument(copy.deepcopy(SMALL), by=None)


@pytest.fixture
def shipped_instruments(db):
    call_command("load_instruments", stdout=io.StringIO())
    return Instrument.objects.get(year=2026, version=1)


@pytest.fixture
def assessment(year_2026, small_instrument, ketua_tim, village_rejang_lebong, village_kaur):
    return services.open_assessment(year_2026, instrument=small_instrument, by=ketua_tim)


@pytest.fixture
def ws_rl(assessment, village_rejang_lebong) -> Worksheet:
    return Worksheet.objects.get(village=village_rejang_lebong)


@pytest.fixture
def ws_kaur(assessment, village_kaur) -> Worksheet:
    return Worksheet.objects.get(village=village_kaur)


@pytest.fixture
def ws_office_rl(assessment, rejang_lebong) -> Worksheet:
    return Worksheet.objects.get(assessment=assessment, target=Target.OFFICE, office=rejang_lebong)


def item(instrument, code) -> Item:
    return Item.objects.get(instrument=instrument, code=code)


def option(instrument, code, score) -> Option:
    return Option.objects.get(item__instrument=instrument, item__code=code, score=score)


def answer(worksheet, code, score, *, level=Level.SELF, by, reason="", version=None):
    """Save the option with `score` for item `code` at `level` (from its current version)."""
    instrument = worksheet.assessment.instrument
    it = item(instrument, code)
    if version is None:
        current = worksheet.answers.filter(item=it, level=level).first()
        version = current.version if current else 0
    return services.save_answer(
        worksheet,
        item=it,
        level=level,
        option=option(instrument, code, score) if score is not None else None,
        reason=reason,
        version=version,
        by=by,
    )


FULL_SELF = {"n.1": 1, "k1.a": 3, "k1.b": 1, "k2.a": 2, "m1.a": 4, "m1.z": 1}


def fill(worksheet, scores=None, *, level=Level.SELF, by, reason="", evidence=True):
    """Answer `scores` at `level`; a self-assessment gets the evidence its answers need (the
    link of k1.a, "SK agen"), so it can be submitted (evidence=False: none)."""
    for code, score in (scores or FULL_SELF).items():
        answer(worksheet, code, score, level=level, by=by, reason=reason)
    if level == Level.SELF and evidence:
        for needed in services.missing_evidence(worksheet):
            services.add_evidence_link(
                worksheet, item=needed, url="https://desa.example.id/sk", title="SK", by=by
            )
    worksheet.refresh_from_db()
    return worksheet


def fill_best(worksheet, *, skip=(), by):
    """Every required item but those coded in `skip` answered with its top option at the self
    level, and the evidence the answers need linked, so the worksheet can be submitted (the
    browser tests answer a few items on the page and the rest through here)."""
    for item in required_items(instrument_tree(worksheet.assessment.instrument, worksheet.target)):
        if item.code not in skip:
            best = max(item.options.all(), key=lambda o: o.score)
            services.save_answer(
                worksheet, item=item, level=Level.SELF, option=best, version=0, by=by
            )
    for needed in services.missing_evidence(worksheet):
        services.add_evidence_link(
            worksheet, item=needed, url="https://desa.example.id/bukti", title="Bukti", by=by
        )


def to_verification(worksheet, *, kabkota, province):
    """Fill the self-assessment, submit it and start the verification."""
    fill(worksheet, by=kabkota)
    services.submit_worksheet(worksheet, by=kabkota)
    services.start_verification(worksheet, by=province)
    worksheet.refresh_from_db()
    return worksheet


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Passwords are never checked here (force_login); a slow hasher would only slow the tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def record_of(lead, **changes) -> dict:
    """A berita acara record for services.sign_off_results, signed beside `lead`."""
    import datetime

    return {
        "number": "B-12/17000/VS.300/12/2026",
        "place": "Bengkulu",
        "date": datetime.date.today(),
        "lead": lead,
        **changes,
    }
