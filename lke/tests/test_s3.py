"""LKE evidence files again, on S3 (see core/tests/test_s3.py): upload then download, another
office refused (404), a wrong file stores nothing."""

import pytest

from lke.tests.test_views import (  # noqa: F401  (collected again here, on S3)
    test_upload_evidence_then_download_it,
    test_wrong_file_as_evidence_is_refused_with_nothing_stored,
)


@pytest.fixture(autouse=True)
def _media_in_tmp(s3_bucket):
    return s3_bucket


def test_a_refused_evidence_file_leaves_the_bucket_empty(
    client, s3_bucket, ws_rl, tim_rejang_lebong, small_instrument
):
    test_wrong_file_as_evidence_is_refused_with_nothing_stored(
        client, ws_rl, tim_rejang_lebong, small_instrument
    )

    assert list(s3_bucket.objects.all()) == []
