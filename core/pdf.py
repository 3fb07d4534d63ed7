"""The one PDF renderer: an app passes a template (extending core/pdf/base.html, which puts
the office letterhead on top) and its context; this module adds the shared context, lays the
page out with the one stylesheet (core/pdf/document.css: A4, fonts, page numbers; a body class
`landscape` or `dense` where a document needs it) and returns the bytes.

Resources resolve against the static folder and only from it or data: URLs, so nothing in a
document can make the server fetch from the network."""

import base64
import io
import logging
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

STYLESHEET = Path(__file__).parent / "templates" / "core" / "pdf" / "document.css"
BASE_URL = str(settings.BASE_DIR / "static") + "/"


def document_context(context: dict) -> dict:
    """What every document may print: the organisation (letterhead), the language and when it
    was printed; the app's own context wins on a clash. Every document names the office issuing
    it (`letterhead_office`: a recap's or a meeting's province, a report's kab/kota) and carries
    that office's name on its letterhead, never the installation's ORGANISATION_NAME (one
    installation serves every province)."""
    office = context.get("letterhead_office")
    if office is None:
        raise ValueError("a document names the office issuing it (letterhead_office)")
    return {
        "ORGANISATION_NAME": office.organisation_name,
        "LANGUAGE_CODE": get_language() or settings.LANGUAGE_CODE,
        "printed_at": timezone.now(),
        **context,
    }


def render_html(template: str, context: dict) -> str:
    """The document's HTML as the PDF lays it out (for tests and previews)."""
    return render_to_string(template, document_context(context))


def lay_out(html: str):
    """A weasyprint Document of `html` with the one stylesheet (pages, boxes, text)."""
    from weasyprint import CSS, HTML  # imported here: loading it takes a moment
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"file", "data"})
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(
        stylesheets=[CSS(filename=str(STYLESHEET), url_fetcher=fetcher)]
    )


def render_pdf(template: str, context: dict) -> bytes:
    """`template` rendered with `context` as an A4 PDF."""
    return lay_out(render_html(template, context)).write_pdf()


PHOTO_SIDE = 1400  # pixels: sharp at the printed width, a few hundred KB per photo at most
PHOTO_PIXELS = 40_000_000  # larger than any camera's photo: refused as a decompression bomb


def photo_data_url(attachment) -> str | None:
    """An image attachment (JPEG or PNG) as a data: URL a document can embed: read from the
    storage (local or S3), scaled down to PHOTO_SIDE on its longer side and re-encoded as
    JPEG. None for what is not a readable photo (the document then only lists the file)."""
    if attachment.content_type not in ("image/jpeg", "image/png"):
        return None
    from PIL import Image  # weasyprint's own dependency

    try:
        with attachment.file.open("rb") as handle, Image.open(handle) as image:
            if image.width * image.height > PHOTO_PIXELS:
                return None
            image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=82)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        logger.info("attachment %s not embedded: %s", attachment.pk, error)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def photos(attachments) -> list[tuple[object, str]]:
    """(attachment, data URL) of the attachments that are photos, in their order."""
    return [(a, url) for a in attachments if (url := photo_data_url(a))]
