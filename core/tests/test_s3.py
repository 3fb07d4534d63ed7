"""Files on S3-compatible storage (FILE_STORAGE=s3): the attachment round-trips again, against a
real S3 server (moto in server mode, a separate process on loopback: conftest.s3_server), each
test in a fresh bucket with the storage options the settings give (conftest.s3_bucket).

The other apps re-run their upload/download/remove tests the same way (their tests/test_s3.py)."""

import io
import tarfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from core.models import Attachment
from core.services import store_attachment
from core.tests.test_attachments import (  # noqa: F401  (collected again here, on S3)
    PDF,
    test_allowed_types_are_stored_with_hash_under_random_name,
    test_upload_is_audited_on_its_owner,
)
from core.tests.test_backup import (  # noqa: F401
    test_backup_and_restore_round_trip_database_and_files,
)
from core.tests.test_settings import PRODUCTION_ENV, manage
from core.views import attachment_response


@pytest.fixture(autouse=True)
def _media_in_tmp(s3_bucket):
    """Replaces conftest's local folder: every test of this module stores its files in S3."""
    return s3_bucket


def keys(bucket) -> list[str]:
    return sorted(obj.key for obj in bucket.objects.all())


def test_an_upload_is_a_private_object_in_the_bucket_and_nothing_on_local_disk(
    s3_bucket, village_kaur, ketua_tim, settings, tmp_path
):
    attachment = store_attachment(
        SimpleUploadedFile("sk.pdf", PDF), owner=village_kaur, by=ketua_tim
    )

    assert keys(s3_bucket) == [attachment.file.name]
    stored = s3_bucket.Object(attachment.file.name)
    assert stored.get()["Body"].read() == PDF
    grants = stored.Acl().grants
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner only
    assert grants[0]["Grantee"]["Type"] == "CanonicalUser"
    assert not (tmp_path / "media").exists()


def test_a_refused_upload_leaves_the_bucket_empty(s3_bucket, village_kaur, ketua_tim):
    with pytest.raises(ValidationError):
        store_attachment(
            SimpleUploadedFile("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 64),
            owner=village_kaur,
            by=ketua_tim,
        )

    assert keys(s3_bucket) == []
    assert Attachment.objects.count() == 0


def test_a_download_streams_the_object_with_its_length(s3_bucket, village_kaur, ketua_tim):
    content = PDF + b"x" * 200_000
    attachment = store_attachment(
        SimpleUploadedFile("besar.pdf", content), owner=village_kaur, by=ketua_tim
    )

    response = attachment_response(Attachment.objects.get(pk=attachment.pk))

    assert response.streaming
    assert int(response["Content-Length"]) == len(content)
    assert response["Content-Disposition"] == 'attachment; filename="besar.pdf"'
    assert b"".join(response.streaming_content) == content


def test_the_backup_archive_holds_the_objects_and_restore_puts_them_back(
    s3_bucket, village_kaur, ketua_tim, tmp_path
):
    attachment = store_attachment(
        SimpleUploadedFile("sk.pdf", PDF), owner=village_kaur, by=ketua_tim
    )
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        assert tar.extractfile(f"files/{attachment.file.name}").read() == PDF
    s3_bucket.objects.all().delete()

    from django.db import connection

    if connection.vendor == "postgresql":  # see test_backup: the test's own deferred checks
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("restore", str(archive), "--force", stdout=io.StringIO())

    assert keys(s3_bucket) == [attachment.file.name]
    assert s3_bucket.Object(attachment.file.name).get()["Body"].read() == PDF


def test_s3_settings_need_a_bucket_and_a_known_addressing_style(s3_server):
    s3 = {**PRODUCTION_ENV, "FILE_STORAGE": "s3", "S3_ENDPOINT_URL": s3_server}

    no_bucket = manage("check", env={**s3, "S3_BUCKET": ""})
    bad_style = manage("check", env={**s3, "S3_BUCKET": "b", "S3_ADDRESSING_STYLE": "dns"})
    good = manage("check", "--deploy", env={**s3, "S3_BUCKET": "b", "S3_ADDRESSING_STYLE": "path"})

    assert "FILE_STORAGE=s3 needs S3_BUCKET." in no_bucket.stderr
    assert "S3_ADDRESSING_STYLE='dns': use 'auto', 'path' or 'virtual'." in bad_style.stderr
    assert good.returncode == 0, good.stderr
