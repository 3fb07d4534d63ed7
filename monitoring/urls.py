from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("dasbor/", views.dashboard, name="dashboard"),
    path("dasbor/nasional/", views.national, name="national"),
    path("dasbor/nasional/xlsx/", views.national_xlsx, name="national_xlsx"),
    path("dasbor/kabkota/<int:pk>/", views.office, name="office"),
    path("dasbor/desa/<int:pk>/", views.village, name="village"),
    path(
        "dasbor/dispensasi/<int:type_id>/<str:object_id>/<int:office_pk>/",
        views.extension_grant,
        name="extension_grant",
    ),
    path(
        "dasbor/dispensasi/<int:type_id>/<str:object_id>/<int:office_pk>/minta/",
        views.extension_request,
        name="extension_request",
    ),
    path(
        "dasbor/dispensasi/permintaan/<int:pk>/tolak/",
        views.extension_decline,
        name="extension_decline",
    ),
    path("rekap/", views.recap_list, name="recap_list"),
    path("rekap/buat/", views.recap_generate, name="recap_generate"),
    path("rekap/<int:pk>/", views.recap_detail, name="recap_detail"),
    path("rekap/<int:pk>/tanda-tangan/", views.recap_sign, name="recap_sign"),
    path("rekap/<int:pk>/xlsx/", views.recap_xlsx, name="recap_xlsx"),
    path("rekap/<int:pk>/pdf/", views.recap_pdf, name="recap_pdf"),
]
