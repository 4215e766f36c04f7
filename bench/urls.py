"""The application's URLs plus the benchmark's floor: a signed-in view that does nothing, served by the
same gunicorn and middleware as the till, so that the till's time can be compared with it."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from shopcrm.decorators import shop_required
from shopcrm.urls import urlpatterns as app_urlpatterns


@require_POST
@shop_required
def noop(request):
    return HttpResponse("", content_type="text/html")


urlpatterns = [path("bench/noop/", noop, name="bench_noop"), *app_urlpatterns]
