from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("baru/", views.meeting_create, name="create"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/ubah/", views.meeting_edit, name="edit"),
    path("<int:pk>/hapus/", views.meeting_delete, name="delete"),
    path("<int:pk>/jadwalkan/", views.meeting_schedule, name="schedule"),
    path("<int:pk>/konfirmasi-kehadiran/", views.meeting_confirm, name="confirm"),
    path("<int:pk>/batalkan/", views.meeting_cancel, name="cancel"),
    path("<int:pk>/laksanakan/", views.meeting_hold, name="hold"),
    path("<int:pk>/tutup/", views.meeting_close, name="close"),
    path("<int:pk>/nomor-laporan/", views.meeting_correct_number, name="correct_number"),
    path("<int:pk>/kehadiran/", views.meeting_attendance, name="attendance"),
    path("<int:pk>/notulen/", views.meeting_minutes, name="minutes"),
    path("<int:pk>/tindak-lanjut/tambah/", views.action_create, name="action_create"),
    path("<int:pk>/riwayat/", views.meeting_history, name="history"),
    path("<int:pk>/laporan-rapat.pdf", views.report_pdf, name="report_pdf"),
    path("<int:pk>/laporan-rapat.docx", views.report_docx, name="report_docx"),
    path("<int:pk>/daftar-hadir.pdf", views.attendance_pdf, name="attendance_pdf"),
    path("<int:pk>/undangan.ics", views.meeting_ics, name="ics"),
    path("tindak-lanjut/", views.action_list, name="action_list"),
    path("tindak-lanjut/unduh.xlsx", views.action_xlsx, name="action_xlsx"),
    path("tindak-lanjut/<int:pk>/", views.action_detail, name="action_detail"),
    path("tindak-lanjut/<int:pk>/ubah/", views.action_edit, name="action_edit"),
    path("tindak-lanjut/<int:pk>/hapus/", views.action_delete, name="action_delete"),
    path("tindak-lanjut/<int:pk>/selesai/", views.action_done, name="action_done"),
    path("tindak-lanjut/<int:pk>/konfirmasi/", views.action_confirm, name="action_confirm"),
    path("tindak-lanjut/<int:pk>/buka-kembali/", views.action_reopen, name="action_reopen"),
    path(
        "tindak-lanjut/<int:pk>/berkas/<int:attachment_pk>/",
        views.action_attachment,
        name="action_attachment",
    ),
]
