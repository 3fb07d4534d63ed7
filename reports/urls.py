from django.urls import path

from . import views

app_name = "reports"

REPORT = "<slug:kind>/desa/<int:village>/"

urlpatterns = [
    path("", views.index, name="index"),
    path("kebutuhan/", views.needs, name="needs"),
    path("kebutuhan/unduh.xlsx", views.needs_xlsx, name="needs_xlsx"),
    path("akhir/desa/<int:village>/draf.docx", views.final_draft_docx, name="final_draft_docx"),
    path("akhir/desa/<int:village>/draf.pdf", views.final_draft_pdf, name="final_draft_pdf"),
    path("<slug:kind>/", views.report_list, name="report_list"),
    path("<slug:kind>/unduh.xlsx", views.report_list_xlsx, name="report_list_xlsx"),
    path(REPORT, views.report_detail, name="report_detail"),
    path(REPORT + "ubah/", views.report_edit, name="report_edit"),
    path(REPORT + "berkas/", views.report_upload, name="report_upload"),
    path(
        REPORT + "berkas/<int:attachment>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        REPORT + "berkas/<int:attachment>/hapus/",
        views.attachment_remove,
        name="attachment_remove",
    ),
    path(REPORT + "kirim/", views.report_submit, name="report_submit"),
    path(REPORT + "kembalikan/", views.report_return, name="report_return"),
    path(REPORT + "setujui/", views.report_approve, name="report_approve"),
    path(REPORT + "versi/<int:number>/", views.version_detail, name="version_detail"),
    path(REPORT + "riwayat/", views.report_history, name="report_history"),
    path(REPORT + "cetak.pdf", views.report_pdf, name="report_pdf"),
]
