"""Who may make and revoke API tokens is checked inside api.services (the harness is in
core/tests/service_permissions.py)."""

from api import services
from api.models import ApiToken
from core.tests.service_permissions import (
    Case,
    check,
    parametrize,
    people,  # noqa: F401 (the fixture)
)


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


CASES = [
    Case(services.create_token, frozenset({"tim_kabkota"}), _create),
    Case(services.revoke_token, frozenset({"tim_kabkota", "superuser"}), _revoke),
]


@parametrize(CASES)
def test_service_checks_the_actor(case, persona, allowed, people):  # noqa: F811
    check(case, persona, allowed, people)
