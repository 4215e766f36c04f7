FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=shopcrm.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 shopcrm \
    && mkdir -p /var/lib/shopcrm/media && chown shopcrm /var/lib/shopcrm/media
WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY . .
RUN for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "${po%.po}.mo" "$po"; done \
    && SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input -v 0
USER shopcrm
EXPOSE 8000
CMD ["gunicorn", "shopcrm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
