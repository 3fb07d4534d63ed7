import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core.models import AppendOnlyError, AuditEvent
from core.services import audit


def test_audit_row_records_who_what_old_new_and_why(village_kaur, ketua_tim, kaur):
    event = audit(
        village_kaur,
        by=ketua_tim,
        action="village.update",
        changes={"kind": ("tambahan", "utama")},
        reason="Ditetapkan ulang",
        office=kaur,
    )
    event.refresh_from_db()
    assert (event.actor, event.action, event.object_repr, event.changes, event.reason) == (
        ketua_tim,
        "village.update",
        str(village_kaur),
        {"kind": ["tambahan", "utama"]},
        "Ditetapkan ulang",
    )


def test_audit_rows_cannot_be_changed_or_deleted_through_the_model(village_kaur, ketua_tim):
    event = audit(village_kaur, by=ketua_tim, action="village.update")
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_database_refuses_to_update_audit_rows(village_kaur, ketua_tim):
    event = audit(village_kaur, by=ketua_tim, action="village.update")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_admin_offers_no_add_change_or_delete_of_audit_rows(client, village_kaur, ketua_tim):
    from django.contrib.auth import get_user_model

    superuser = get_user_model().objects.create_superuser("root", password="x-Very-Long-1")
    event = audit(village_kaur, by=ketua_tim, action="village.update")
    client.force_login(superuser)
    assert client.get("/admin/core/auditevent/add/").status_code == 403
    assert client.get(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    page = client.get(f"/admin/core/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = client.post(f"/admin/core/auditevent/{event.pk}/change/", {"reason": "x"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_admin_edits_of_users_and_memberships_are_audited(client, kaur):
    from django.contrib.auth import get_user_model

    superuser = get_user_model().objects.create_superuser("root", password="x-Very-Long-1")
    client.force_login(superuser)
    response = client.post(
        "/admin/core/membership/add/", {"user": superuser.pk, "office": kaur.pk, "role": "viewer"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="membership.create")
    assert event.actor == superuser
    assert event.changes["role"] == [None, "viewer"]


def test_admin_refuses_a_province_role_in_a_kabkota_office(client, kaur):
    from django.contrib.auth import get_user_model

    from core.models import Membership

    superuser = get_user_model().objects.create_superuser("root", password="x-Very-Long-1")
    client.force_login(superuser)
    response = client.post(
        "/admin/core/membership/add/",
        {"user": superuser.pk, "office": kaur.pk, "role": "ketua_tim"},
    )
    assert response.status_code == 200
    assert "kantor BPS provinsi" in response.content.decode()
    assert not Membership.objects.exists()


def test_database_refuses_to_delete_audit_rows(village_kaur, ketua_tim):
    event = audit(village_kaur, by=ketua_tim, action="village.update")
    before = list(AuditEvent.objects.values_list("pk", flat=True))
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk)._raw_delete(AuditEvent.objects.db)
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == before


def test_flush_still_empties_the_whole_database(village_kaur, ketua_tim):
    """`manage.py flush` (used by `restore` and the test runner) is the one way to purge."""
    audit(village_kaur, by=ketua_tim, action="village.update")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # see test_backup: TRUNCATE in a test transaction
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
