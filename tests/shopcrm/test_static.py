"""Static files are served as production serves them (and as `make run` does): collected, compressed,
under hashed names cached for a year."""

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

MANIFEST = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.mark.django_db
def test_collected_static_files_are_compressed_and_cached_for_good(tmp_path):
    with override_settings(
        STATIC_ROOT=tmp_path, STORAGES=MANIFEST, WHITENOISE_USE_FINDERS=False, WHITENOISE_AUTOREFRESH=False
    ):
        call_command("collectstatic", "--no-input", "-v", "0")
        from django.contrib.staticfiles.storage import staticfiles_storage

        url = staticfiles_storage.url("css/app.css")
        assert url != "/static/css/app.css" and url.endswith(".css")  # a hashed name
        response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] in ("br", "gzip")
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=315360000" in response.headers["Cache-Control"]
