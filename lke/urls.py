from django.urls import path

from . import views

app_name = "lke"
urlpatterns = [
    path("", views.index, name="index"),
    path("buka/", views.assessment_open, name="open"),
    path("perbarui-lembar/", views.worksheets_sync, name="sync"),
    path("lembar/<int:pk>/", views.worksheet_detail, name="worksheet"),
    path("lembar/massal/", views.bulk_action, name="bulk"),
    path("lembar/<int:pk>/butir/<int:item_pk>/", views.answer_save, name="answer"),
    path(
        "lembar/<int:pk>/butir/<int:item_pk>/aturan/<int:rule_pk>/",
        views.check_rule_apply,
        name="check_rule",
    ),
    path(
        "lembar/<int:pk>/butir/<int:item_pk>/bukti/berkas/",
        views.evidence_add,
        {"kind": "berkas"},
        name="evidence_file",
    ),
    path(
        "lembar/<int:pk>/butir/<int:item_pk>/bukti/tautan/",
        views.evidence_add,
        {"kind": "tautan"},
        name="evidence_link",
    ),
    path(
        "lembar/<int:pk>/butir/<int:item_pk>/bukti/dokumen/",
        views.evidence_add,
        {"kind": "dokumen"},
        name="evidence_document",
    ),
    path(
        "lembar/<int:pk>/bukti/<int:evidence_pk>/hapus/",
        views.evidence_remove,
        name="evidence_remove",
    ),
    path(
        "lembar/<int:pk>/bukti/<int:evidence_pk>/unduh/",
        views.evidence_download,
        name="evidence_download",
    ),
    path("lembar/<int:pk>/kirim/", views.worksheet_action, {"action": "submit"}, name="submit"),
    path(
        "lembar/<int:pk>/mulai-verifikasi/",
        views.worksheet_action,
        {"action": "start_verification"},
        name="start_verification",
    ),
    path(
        "lembar/<int:pk>/kembalikan/", views.worksheet_action, {"action": "return"}, name="return"
    ),
    path(
        "lembar/<int:pk>/terima-mandiri/",
        views.worksheet_action,
        {"action": "accept_self"},
        name="accept_self",
    ),
    path(
        "lembar/<int:pk>/finalisasi/",
        views.worksheet_action,
        {"action": "finalise"},
        name="finalise",
    ),
    path(
        "lembar/<int:pk>/buka-kembali/",
        views.worksheet_action,
        {"action": "reopen"},
        name="reopen",
    ),
    path("lembar/<int:pk>/xlsx/", views.worksheet_xlsx, name="worksheet_xlsx"),
    path(
        "lembar/<int:pk>/formulir-nasional/",
        views.worksheet_national_form,
        name="worksheet_national_form",
    ),
    path(
        "kantor/<int:pk>/formulir-nasional/",
        views.office_national_form,
        name="office_national_form",
    ),
    path("lembar/<int:pk>/impor/", views.worksheet_import, name="worksheet_import"),
    path("lembar/<int:pk>/riwayat/", views.worksheet_history, name="worksheet_history"),
    path("hasil/", views.results, name="results"),
    path("hasil/xlsx/", views.results_xlsx, name="results_xlsx"),
    path("hasil/pdf/", views.results_pdf, name="results_pdf"),
    path("hasil/tandatangani/", views.results_sign_off, name="results_sign_off"),
    path("hasil/nasional/xlsx/", views.results_national_xlsx, name="results_national_xlsx"),
    path("usulan/", views.nominees, name="nominees"),
    path("usulan/xlsx/", views.nominees_xlsx, name="nominees_xlsx"),
    path("instrumen/", views.instrument_list, name="instrument_list"),
    path("instrumen/impor/", views.instrument_import, name="instrument_import"),
    path("instrumen/impor-resmi/", views.instrument_workbook, name="instrument_workbook"),
    path("instrumen/<int:pk>/", views.instrument_detail, name="instrument_detail"),
    path("instrumen/<int:pk>/xlsx/", views.instrument_xlsx, name="instrument_xlsx"),
    path(
        "instrumen/<int:pk>/butir/<int:item_pk>/aturan/",
        views.instrument_rule_add,
        name="instrument_rule_add",
    ),
    path(
        "instrumen/<int:pk>/butir/<int:item_pk>/aturan/<int:rule_pk>/",
        views.instrument_rule_edit,
        name="instrument_rule_edit",
    ),
    path(
        "instrumen/<int:pk>/butir/<int:item_pk>/aturan/<int:rule_pk>/hapus/",
        views.instrument_rule_delete,
        name="instrument_rule_delete",
    ),
    path(
        "instrumen/<int:pk>/butir/<int:item_pk>/pembagi/",
        views.instrument_divisor,
        name="instrument_divisor",
    ),
]
