"""Action-item evidence again, on S3 (see core/tests/test_s3.py): downloads by scope."""

import pytest

from meetings.tests.test_views import (  # noqa: F401  (collected again here, on S3)
    as_persona,
    test_evidence_download_by_scope,
    world,
)


@pytest.fixture(autouse=True)
def _media_in_tmp(s3_bucket):
    return s3_bucket
