from django.urls import path

from . import views

app_name = "program"
urlpatterns = [
    path("", views.home, name="home"),
    path("desa/", views.village_list, name="village_list"),
    path("desa/tambah/", views.village_create, name="village_create"),
    # participating villages with their pembina imported from xlsx (?tahun=)
    path("desa/impor/", views.village_import, name="village_import"),
    path("desa/impor/simpan/", views.village_import_confirm, name="village_import_confirm"),
    path("desa/impor/templat/", views.village_import_template, name="village_import_template"),
    path("desa/<int:pk>/", views.village_detail, name="village_detail"),
    path("desa/<int:pk>/ubah/", views.village_edit, name="village_edit"),
    path("desa/<int:pk>/berkas/", views.village_upload, name="village_upload"),
    path(
        "desa/<int:pk>/berkas/<int:attachment_pk>/",
        views.village_attachment,
        name="village_attachment",
    ),
    path("desa/<int:pk>/riwayat/", views.village_history, name="village_history"),
    # the agen statistik register of a village
    path("desa/<int:pk>/agen-statistik/", views.agent_list, name="agent_list"),
    path("desa/<int:pk>/agen-statistik/tambah/", views.agent_add, name="agent_add"),
    path("desa/<int:pk>/agen-statistik/salin/", views.agent_copy, name="agent_copy"),
    path("agen-statistik/<int:pk>/ubah/", views.agent_edit, name="agent_edit"),
    path("agen-statistik/<int:pk>/hapus/", views.agent_delete, name="agent_delete"),
    path("kantor/<int:pk>/", views.office_detail, name="office_detail"),
    # the SOP calendar of a program year (?tahun=)
    path("kalender/", views.sop_calendar_view, name="sop_calendar"),
    path("kalender/pengaturan/", views.sop_settings, name="sop_settings"),
    path("kalender/riwayat/", views.sop_history, name="sop_history"),
    path("kalender/kegiatan/<int:pk>/ubah/", views.sop_activity_edit, name="sop_activity_edit"),
    # the coaching work plan of a village and its realisation
    path("desa/<int:pk>/rencana-kerja/tambah/", views.activity_add, name="activity_add"),
    path("desa/<int:pk>/rencana-kerja/unduh/", views.work_plan_export, name="work_plan_export"),
    path("desa/<int:pk>/rencana-kerja/impor/", views.work_plan_import, name="work_plan_import"),
    path("rencana-kerja/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("rencana-kerja/<int:pk>/ubah/", views.activity_edit, name="activity_edit"),
    path("rencana-kerja/<int:pk>/realisasi/", views.activity_realise, name="activity_realise"),
    path("rencana-kerja/<int:pk>/hapus/", views.activity_delete, name="activity_delete"),
    path("rencana-kerja/<int:pk>/bukti/", views.activity_upload, name="activity_upload"),
    path(
        "rencana-kerja/<int:pk>/bukti/<int:attachment_pk>/",
        views.activity_attachment,
        name="activity_attachment",
    ),
    path("rencana-kerja/<int:pk>/riwayat/", views.activity_history, name="activity_history"),
    path("kantor/<int:pk>/rencana-kerja/", views.office_work_plan, name="office_work_plan"),
    path(
        "kantor/<int:pk>/rencana-kerja/unduh/",
        views.office_work_plan_export,
        name="office_work_plan_export",
    ),
]
