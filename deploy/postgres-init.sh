#!/bin/sh
# First start of the compose stack's PostgreSQL: the three shopcrm roles and the database (deploy/roles.sql),
# with the passwords compose passes from its environment (.env). Runs once, on an empty data volume.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner=shopcrm -v app=shopcrm_app -v platform=shopcrm_platform -v database=shopcrm \
  -v owner_password="$SHOPCRM_DB_OWNER_PASSWORD" -v app_password="$SHOPCRM_DB_APP_PASSWORD" \
  -v platform_password="$SHOPCRM_DB_PLATFORM_PASSWORD" -f /shopcrm-deploy/roles.sql
