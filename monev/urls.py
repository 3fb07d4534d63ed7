from django.contrib import admin
from django.urls import include, path

from api.urls import api_urlpatterns

admin.site.site_header = "Monev Desa Cantik"
admin.site.site_title = "Monev Desa Cantik"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("core.urls")),
    path("", include("program.urls")),
    path("", include("monitoring.urls")),
    path("laporan/", include("reports.urls")),
    path("rapat/", include("meetings.urls")),
    path("lke/", include("lke.urls")),
    path("", include("api.urls")),
    *api_urlpatterns,
]
