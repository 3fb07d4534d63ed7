"""The village documents and work-plan evidence again, on S3 (see core/tests/test_s3.py)."""

import pytest

from program.tests.test_villages import (  # noqa: F401  (collected again here, on S3)
    test_uploaded_document_downloads_as_attachment_with_the_same_bytes,
)
from program.tests.test_work_plan import (  # noqa: F401
    _fast_passwords,
    activity,
    realised,
    test_evidence_downloads_for_readers_of_the_office,
    test_evidence_is_added_to_a_realised_activity,
    test_realisation_with_pdf_evidence_is_saved_and_audited,
)


@pytest.fixture(autouse=True)
def _media_in_tmp(s3_bucket):
    return s3_bucket
