"""Every operation of the OpenAPI document × every persona × an object of Rejang Lebong (1702)
and of Kaur (1704), as the page matrices do it for URLs.

The operations are read from the generated schema: an operation without a declared
expectation in EXPECTATIONS fails `test_every_operation_has_an_expectation`, and each
operation's test looks its expectation up. Expected outcomes come from the design (DESIGN.md,
"People, roles, visibility"): outside the scope → 404; inside it, writing without the right
→ 403; lists contain exactly the objects in scope; no token → 401."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from api.api import api
from api.models import Scope
from lke.models import Item

BENGKULU_KABKOTA = frozenset({"1702", "1704"})


@dataclass(frozen=True)
class Rule:
    offices: frozenset[str]  # the kab/kota (of the two in the world) whose data it may read
    writes: frozenset[str]  # those whose work plan and LKE self-assessment it may write


RULES = {
    "kepala": Rule(BENGKULU_KABKOTA, frozenset()),
    "ketua_tim": Rule(BENGKULU_KABKOTA, frozenset()),
    "tim_provinsi": Rule(BENGKULU_KABKOTA, frozenset()),
    "viewer_provinsi": Rule(BENGKULU_KABKOTA, frozenset()),
    "admin_provinsi": Rule(BENGKULU_KABKOTA, frozenset()),
    "tim_rejang_lebong": Rule(frozenset({"1702"}), frozenset({"1702"})),
    "pimpinan_rejang_lebong": Rule(frozenset({"1702"}), frozenset()),
    "viewer_rejang_lebong": Rule(frozenset({"1702"}), frozenset()),
    "tim_kaur": Rule(frozenset({"1704"}), frozenset({"1704"})),
}


@dataclass(frozen=True)
class Everyone:
    """Every persona gets 200 (the token's user, or a year of their own province)."""

    params: Callable = lambda world: {}


@dataclass(frozen=True)
class Listing:
    """200 for everyone; the side's object (its id) is in the list exactly when in scope."""

    object_id: Callable
    params: Callable = lambda world: {}


@dataclass(frozen=True)
class Scoped:
    """A read of one object of a side: 200 in scope, 404 outside."""

    params: Callable


@dataclass(frozen=True)
class ScopedWrite:
    """A write on a side's object: 200 for its kab/kota team, 403 for other readers, 404
    outside the scope; a read-only token of the team gets 403."""

    params: Callable
    body: Callable


def _realisation(side):
    side.activity.refresh_from_db()
    return {
        "version": side.activity.version,
        "realised_on": "2026-05-10",
        "realisation_output": "Notulen koordinasi",
        "realisation_notes": "Lewat API",
    }


def _self_answer(side):
    item = Item.objects.get(instrument=side.worksheet.assessment.instrument, code="k1.a")
    current = side.worksheet.answers.filter(item=item, level="self").first()
    option = item.options.get(score=2 if current is None or current.option.score == 3 else 3)
    return {"version": current.version if current else 0, "option_id": option.pk}


def _item_id(side):
    return Item.objects.get(instrument=side.worksheet.assessment.instrument, code="k1.a").pk


V1 = "/api/v1"
EXPECTATIONS = {
    ("get", f"{V1}/me"): Everyone(),
    ("get", f"{V1}/offices"): Listing(lambda s: s.office.pk),
    ("get", f"{V1}/offices/{{office_id}}"): Scoped(lambda s: {"office_id": s.office.pk}),
    ("get", f"{V1}/program-years"): Everyone(),
    ("get", f"{V1}/program-years/{{program_year_id}}"): Everyone(
        lambda w: {"program_year_id": w.year.pk}
    ),
    ("get", f"{V1}/program-years/{{program_year_id}}/dashboard"): Everyone(
        lambda w: {"program_year_id": w.year.pk}
    ),
    ("get", f"{V1}/program-years/{{program_year_id}}/lke-results"): Everyone(
        lambda w: {"program_year_id": w.year.pk}
    ),
    ("get", f"{V1}/villages"): Listing(lambda s: s.village.pk),
    ("get", f"{V1}/villages/{{village_id}}"): Scoped(lambda s: {"village_id": s.village.pk}),
    ("get", f"{V1}/villages/{{village_id}}/work-plan"): Scoped(
        lambda s: {"village_id": s.village.pk}
    ),
    ("get", f"{V1}/work-plan-activities/{{activity_id}}"): Scoped(
        lambda s: {"activity_id": s.activity.pk}
    ),
    ("put", f"{V1}/work-plan-activities/{{activity_id}}/realisation"): ScopedWrite(
        lambda s: {"activity_id": s.activity.pk}, _realisation
    ),
    ("get", f"{V1}/reports"): Listing(lambda s: s.report.pk),
    ("get", f"{V1}/reports/{{report_id}}"): Scoped(lambda s: {"report_id": s.report.pk}),
    ("get", f"{V1}/reports/{{report_id}}/versions/{{number}}"): Scoped(
        lambda s: {"report_id": s.report.pk, "number": 1}
    ),
    ("get", f"{V1}/meetings"): Listing(lambda s: s.meeting.pk),
    ("get", f"{V1}/meetings/{{meeting_id}}"): Scoped(lambda s: {"meeting_id": s.meeting.pk}),
    ("get", f"{V1}/action-items"): Listing(lambda s: s.action_item.pk),
    ("get", f"{V1}/lke/worksheets"): Listing(lambda s: s.worksheet.pk),
    ("get", f"{V1}/lke/worksheets/{{worksheet_id}}"): Scoped(
        lambda s: {"worksheet_id": s.worksheet.pk}
    ),
    ("put", f"{V1}/lke/worksheets/{{worksheet_id}}/answers/{{item_id}}"): ScopedWrite(
        lambda s: {"worksheet_id": s.worksheet.pk, "item_id": _item_id(s)}, _self_answer
    ),
}


def schema_operations() -> list[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return sorted((method, path) for path, ops in paths.items() for method in ops)


def test_every_operation_has_an_expectation():
    assert [op for op in schema_operations() if op not in EXPECTATIONS] == []
    assert [op for op in EXPECTATIONS if op not in schema_operations()] == []


def _url(path: str, params: dict) -> str:
    return path.format(**params)


def _call(client, method: str, url: str, body=None):
    if method == "get":
        return client.get(url, {"limit": 200})
    return client.generic(
        method.upper(), url, data=json.dumps(body), content_type="application/json"
    )


@pytest.mark.parametrize(("method", "path"), schema_operations())
def test_operation_per_persona_and_office(method, path, world, api_client, request):
    expectation = EXPECTATIONS.get((method, path))
    assert expectation is not None, f"declare the expected outcome of {method.upper()} {path}"
    outcomes = _without_token(method, path, expectation, world)
    expected = {"no token": (401, "not_authenticated"), "unknown token": (401, "not_authenticated")}
    for persona, rule in RULES.items():
        user = request.getfixturevalue(persona)
        client = api_client(user)
        if isinstance(expectation, Everyone):
            response = _call(client, method, _url(path, expectation.params(world)))
            outcomes[persona], expected[persona] = response.status_code, 200
            continue
        for code, side in world.sides.items():
            key = f"{persona} × {code}"
            if isinstance(expectation, Listing):
                response = client.get(path, {"limit": 200})
                ids = {row["id"] for row in response.json()["items"]}
                outcomes[key] = (response.status_code, expectation.object_id(side) in ids)
                expected[key] = (200, code in rule.offices)
            elif isinstance(expectation, Scoped):
                response = client.get(_url(path, expectation.params(side)))
                outcomes[key] = response.status_code
                expected[key] = 200 if code in rule.offices else 404
            else:
                url = _url(path, expectation.params(side))
                response = _call(client, method, url, expectation.body(side))
                outcomes[key] = response.status_code
                if code not in rule.offices:
                    expected[key] = 404
                else:
                    expected[key] = 200 if code in rule.writes else 403
                if code in rule.writes:  # the same user with a read-only token
                    reader = api_client(user, Scope.READ)
                    response = _call(reader, method, url, expectation.body(side))
                    outcomes[f"{key} (read-only token)"] = (
                        response.status_code,
                        response.json()["code"],
                    )
                    expected[f"{key} (read-only token)"] = (403, "token_read_only")
    assert outcomes == expected


def _without_token(method, path, expectation, world) -> dict:
    side = world.sides["1704"]
    if isinstance(expectation, (Scoped, ScopedWrite)):
        params = expectation.params(side)
    else:
        params = expectation.params(world) if isinstance(expectation, Everyone) else {}
    body = expectation.body(side) if isinstance(expectation, ScopedWrite) else None
    url = _url(path, params)
    anonymous = _call(Client(), method, url, body)
    wrong = _call(Client(headers={"Authorization": "Bearer mdc_tidak-ada"}), method, url, body)
    return {
        "no token": (anonymous.status_code, anonymous.json()["code"]),
        "unknown token": (wrong.status_code, wrong.json()["code"]),
    }
