from django.urls import path

from . import views
from .api import api

app_name = "api_tokens"

urlpatterns = [
    path("akun/token-api/", views.token_create, name="token_create"),
    path("akun/token-api/<int:pk>/cabut/", views.token_revoke, name="token_revoke"),
]

api_urlpatterns = [path("api/", api.urls)]
