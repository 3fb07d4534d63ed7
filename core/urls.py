from django.contrib.auth import views as auth_views
from django.urls import path

from . import sso, views
from .forms import StyledPasswordChangeForm

urlpatterns = [
    path("favicon.ico", views.favicon),
    path("healthz", views.healthz, name="healthz"),
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("keluar/", views.LogoutView.as_view(), name="logout"),
    path("sso/masuk/", sso.login, name="sso_login"),
    path("sso/callback/", sso.callback, name="sso_callback"),
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

urlpatterns += [
    # people: accounts, roles and invitations, managed by the team lead and the administrator
    path("pengguna/", views.people_list, name="people_list"),
    path("pengguna/undang/", views.people_invite, name="people_invite"),
    path("pengguna/impor/", views.people_import, name="people_import"),
    path("pengguna/impor/simpan/", views.people_import_confirm, name="people_import_confirm"),
    path("pengguna/impor/templat/", views.people_import_template, name="people_import_template"),
    path("pengguna/<int:pk>/", views.people_detail, name="people_detail"),
    path("pengguna/<int:pk>/ubah/", views.people_edit, name="people_edit"),
    path("pengguna/<int:pk>/peran/", views.people_role_add, name="people_role_add"),
    path(
        "pengguna/<int:pk>/peran/<int:membership_pk>/hapus/",
        views.people_role_remove,
        name="people_role_remove",
    ),
    path("pengguna/<int:pk>/nonaktifkan/", views.people_deactivate, name="people_deactivate"),
    path("pengguna/<int:pk>/aktifkan/", views.people_reactivate, name="people_reactivate"),
    path(
        "pengguna/<int:pk>/tautan-sandi/", views.people_password_link, name="people_password_link"
    ),
    # the one-time link of an invitation or a password reset
    path("akun/sandi/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password_set"),
]
