FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=shopcrm.settings.production
RUN useradd --create-home --uid 1000 shopcrm \
    && mkdir -p /var/lib/shopcrm/media && chown shopcrm /var/lib/shopcrm/media && chmod 0700 /var/lib/shopcrm/media
WORKDIR /app
# The runtime set only: no test or lint tools, no embedded PostgreSQL or Redis.
COPY requirements-runtime.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements-runtime.lock
COPY . .
# gettext only for compiling the catalogs: installed and removed in this one layer.
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "${po%.po}.mo" "$po"; done \
    && SECRET_KEY=build-only ALLOWED_HOSTS=localhost DATABASE_URL=postgres://build@localhost/build \
       python manage.py collectstatic --no-input -v 0 \
    && apt-get purge -y gettext && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
USER shopcrm
EXPOSE 8000
CMD ["gunicorn", "shopcrm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
