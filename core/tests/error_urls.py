"""The project's URLs plus one view that fails, for the error-report tests."""

from django.urls import path

from monev.urls import urlpatterns as project_urlpatterns


class Kaboom(Exception):
    pass


def failing_view(request):
    raise Kaboom("the database said no")


urlpatterns = [path("gagal/", failing_view), *project_urlpatterns]
