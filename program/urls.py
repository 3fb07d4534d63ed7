from django.urls import path

from . import views

app_name = "program"
urlpatterns = [
    path("", views.home, name="home"),
    path("desa/", views.village_list, name="village_list"),
    path("desa/tambah/", views.village_create, name="village_create"),
    path("desa/<int:pk>/", views.village_detail, name="village_detail"),
    path("desa/<int:pk>/ubah/", views.village_edit, name="village_edit"),
    path("desa/<int:pk>/berkas/", views.village_upload, name="village_upload"),
    path(
        "desa/<int:pk>/berkas/<int:attachment_pk>/",
        views.village_attachment,
        name="village_attachment",
    ),
    path("desa/<int:pk>/riwayat/", views.village_history, name="village_history"),
    path("kantor/<int:pk>/", views.office_detail, name="office_detail"),
]
