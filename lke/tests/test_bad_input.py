"""Input that does not fit the LKE worksheet: a clear refusal, never a 500 (both databases)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Attachment
from lke.models import Answer, Evidence

from .conftest import item, option

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTMX = {"HTTP_HX_REQUEST": "true"}


def stored_files(settings) -> list:
    root = settings.STORAGES["default"]["OPTIONS"]["location"]
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("htmx", [False, True])
def test_answer_for_an_item_of_the_other_block_is_not_found(
    client, ws_rl, tim_rejang_lebong, small_instrument, htmx
):
    office_item = item(small_instrument, "o.a")  # Blok IV (office) item on a village worksheet
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("lke:answer", args=[ws_rl.pk, office_item.pk]),
        {"level": "self", "version": 0, "option": option(small_instrument, "o.a", 2).pk},
        **(HTMX if htmx else {}),
    )

    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_evidence_for_an_item_of_the_other_block_is_not_found(
    client, ws_office_rl, tim_rejang_lebong, small_instrument, settings
):
    village_item = item(small_instrument, "k1.a")
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("lke:evidence_file", args=[ws_office_rl.pk, village_item.pk]),
        {"file": SimpleUploadedFile("sk.pdf", PDF)},
        **HTMX,
    )

    assert response.status_code == 404
    assert (Evidence.objects.count(), Attachment.objects.count()) == (0, 0)
    assert stored_files(settings) == []


def test_evidence_file_name_over_200_characters_is_shortened_keeping_its_extension(
    client, ws_rl, tim_rejang_lebong, small_instrument, settings
):
    it = item(small_instrument, "k1.a")
    name = "surat-keputusan-agen-statistik-" + "x" * 240 + ".pdf"
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("lke:evidence_file", args=[ws_rl.pk, it.pk]),
        {"file": SimpleUploadedFile(name, PDF)},
        **HTMX,
    )

    assert response.status_code == 200
    evidence = Evidence.objects.get()
    assert len(evidence.title) == 200
    assert evidence.title.startswith("surat-keputusan-agen-statistik-xxx")
    assert evidence.title.endswith("….pdf")
    assert stored_files(settings) == [evidence.attachment.file.name.rsplit("/", 1)[-1]]
