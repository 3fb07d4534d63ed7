"""The instrument trees a process keeps (lke.scoring.instrument_tree): read again only while
the instrument is unchanged, never stored from inside a transaction."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.services import audit
from lke.models import Item, Level, Target
from lke.scoring import instrument_tree, tree_items

from .conftest import answer


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Each test commits its writes, as a request outside a transaction does."""


def tree_read(instrument) -> tuple[list, int]:
    with CaptureQueriesContext(connection) as queries:
        tree = instrument_tree(instrument, Target.VILLAGE)
    return tree, len(queries)


def weights(tree) -> dict[str, float]:
    return {
        item.code: item.weight
        for block in tree
        for aspect in block.aspects.all()
        for indicator in aspect.indicators.all()
        for item in indicator.items.all()
    }


def test_an_unchanged_instrument_is_read_once_per_process(small_instrument):
    first, reads = tree_read(small_instrument)
    again, version_only = tree_read(small_instrument)
    assert reads == 6  # the version and the five levels of the tree
    assert version_only == 1
    assert again is first
    assert instrument_tree(small_instrument, Target.OFFICE) is not first  # per target


def test_an_audited_change_of_the_instrument_is_read_on_the_next_call(small_instrument):
    tree, _ = tree_read(small_instrument)
    item = Item.objects.get(instrument=small_instrument, code="k1.b")
    item.weight = item.weight + 5
    item.save()
    audit(item, by=None, action="item.update", changes={"weight": (item.weight - 5, item.weight)})
    changed, reads = tree_read(small_instrument)
    assert reads == 6
    assert changed is not tree
    assert weights(changed)[item.code] == item.weight


def test_a_change_of_an_office_s_work_keeps_the_tree(ws_rl, tim_rejang_lebong, small_instrument):
    tree, _ = tree_read(small_instrument)
    answer(ws_rl, "k2.a", 4, level=Level.SELF, by=tim_rejang_lebong)  # audited on its office
    again, reads = tree_read(small_instrument)
    assert (again, reads) == (tree, 1)


def test_a_tree_read_inside_a_transaction_is_not_kept(small_instrument):
    with transaction.atomic():
        inside = instrument_tree(small_instrument, Target.VILLAGE)
    after, reads = tree_read(small_instrument)
    assert after is not inside
    assert reads == 6


def test_a_service_in_a_transaction_uses_the_kept_tree(ws_rl, tim_rejang_lebong, small_instrument):
    tree_read(small_instrument)  # e.g. the worksheet page, before the save
    with CaptureQueriesContext(connection) as queries:
        answer(ws_rl, "k2.a", 4, level=Level.SELF, by=tim_rejang_lebong)
    # The tree's last level: every option of the instrument's items at once.
    tree_queries = [q for q in queries.captured_queries if '"lke_option"."item_id" IN' in q["sql"]]
    assert tree_queries == []


def test_the_instrument_page_decorates_a_tree_of_its_own(client, small_instrument, admin_provinsi):
    """The instrument's page sets its editors and errors on the items: never on the tree the
    process keeps for every other request."""
    kept, _ = tree_read(small_instrument)
    client.force_login(admin_provinsi)
    assert (
        client.get(reverse("lke:instrument_detail", args=[small_instrument.pk])).status_code == 200
    )
    again, reads = tree_read(small_instrument)
    assert (again, reads) == (kept, 1)
    items = tree_items(again)
    assert items and not any(hasattr(item, "rule_list") for item in items)
