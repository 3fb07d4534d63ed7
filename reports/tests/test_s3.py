"""Report files again, on S3 (see core/tests/test_s3.py): upload, download through the
permission check, a file of another report refused, removal (the object goes too), and the
printable report that lists the files."""

import pytest
from django.core.files.storage import default_storage

from core.models import Attachment
from reports.tests.test_documents import (  # noqa: F401  (collected again here, on S3)
    coached,
    test_the_draft_downloads,
    test_the_printable_report_lists_fields_agents_and_attachments,
)
from reports.tests.test_views import (  # noqa: F401
    _clock,
    test_a_file_of_another_report_is_not_served_through_this_one,
    test_downloading_an_attachment_streams_it,
    test_removing_a_file,
    test_uploading_a_photo,
    url,
)

from .conftest import complete_sosialisasi

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(s3_bucket):
    return s3_bucket


def test_removing_a_file_never_submitted_deletes_its_object(
    client, s3_bucket, village_rejang_lebong, tim_rejang_lebong
):
    report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    photo = Attachment.objects.get(owner_id=str(report.pk), purpose="dokumentasi")
    assert default_storage.exists(photo.file.name)
    client.force_login(tim_rejang_lebong)

    client.post(url("attachment_remove", village_rejang_lebong, photo.pk))

    remaining = sorted(obj.key for obj in s3_bucket.objects.all())
    assert photo.file.name not in remaining
    assert remaining == sorted(a.file.name for a in Attachment.objects.all())
