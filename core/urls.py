from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import StyledPasswordChangeForm

urlpatterns = [
    path("favicon.ico", views.favicon),
    path("healthz", views.healthz, name="healthz"),
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "akun/kata-sandi/",
        auth_views.PasswordChangeView.as_view(form_class=StyledPasswordChangeForm),
        name="password_change",
    ),
    path("akun/profil/", views.profile, name="profile"),
    path("akun/profil/data/", views.profile_update, name="profile_update"),
    path("akun/profil/notifikasi/", views.notification_settings, name="notification_settings"),
    path(
        "akun/kata-sandi/selesai/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
