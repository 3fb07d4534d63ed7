"""make bench on a database it has run on before: each API case makes a token, and a user holds
at most 20 active ones; the earlier runs' tokens are revoked so the 21st run still works."""

from api.models import ApiToken
from conftest import make_user
from core.models import Role
from monitoring.management.commands.bench import Target, _api


def test_a_bench_api_case_can_be_built_more_than_twenty_times(db):
    user = make_user("timprov_bench", "1700", Role.TIM_PROVINSI)
    target = Target(province=None, kabkota=None, year=None, user=user)
    build = _api(lambda t: "/api/v1/villages")

    for _ in range(25):
        build(target)

    tokens = ApiToken.objects.filter(user=user, name="bench")
    assert tokens.count() == 25
    assert tokens.filter(revoked_at__isnull=True).count() == 1
