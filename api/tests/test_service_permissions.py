"""Who may make and revoke API tokens is checked inside api.services (the harness is in
core/tests/service_permissions.py)."""

from api import services
from api.models import ApiToken
from core.models import AuditEvent
from core.tests.service_permissions import (
    Case,
    check,
    parametrize,
    people,  # noqa: F401 (the fixture)
)
from program.models import WorkPlanActivity


def _create(users):
    owner = users["tim_kabkota"]
    return (
        lambda by: services.create_token(owner, name="Sistem kantor", scope="read", by=by),
        lambda: ApiToken.objects.count(),
    )


def _revoke(users):
    owner = users["tim_kabkota"]
    token, _secret = services.create_token(owner, name="Lama", scope="read", by=owner)
    return (
        lambda by: services.revoke_token(token, by=by),
        lambda: ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).exists(),
    )


def _renew(users):
    owner = users["tim_kabkota"]
    services.create_token(owner, name="bench", scope="read", by=owner)
    return (
        lambda by: services.renew_token(owner, name="bench", scope="read", by=by),
        lambda: sorted(
            ApiToken.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True)
        ),
    )


CASES = [
    Case(services.create_token, frozenset({"tim_kabkota"}), _create),
    Case(services.revoke_token, frozenset({"tim_kabkota", "superuser"}), _revoke),
    # A superuser may revoke but not make another user's token: the whole renewal is refused.
    Case(services.renew_token, frozenset({"tim_kabkota"}), _renew),
]


@parametrize(CASES)
def test_service_checks_the_actor(case, persona, allowed, people):  # noqa: F811
    check(case, persona, allowed, people)


def test_the_api_refuses_what_the_page_refuses_with_the_services_message(
    world, api_client, ketua_tim
):
    """A province team lead's token may read a kab/kota work plan, not realise it: 403 with the
    rule's Indonesian message, nothing changed, no audit row."""
    activity = world.sides["1704"].activity
    client = api_client(ketua_tim)
    rows = AuditEvent.objects.count()

    response = client.put(
        f"/api/v1/work-plan-activities/{activity.pk}/realisation",
        {"version": 1, "realised_on": "2026-05-10"},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert response.json()["detail"] == (
        "Hanya tim Desa Cantik kabupaten/kota desa tersebut yang menyusun rencana kerjanya."
    )
    assert WorkPlanActivity.objects.get(pk=activity.pk).realised_on is None
    assert AuditEvent.objects.count() == rows
