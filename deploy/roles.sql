-- The three roles of a shopcrm database, and the database. Idempotent; run it as a superuser (or a role with
-- CREATEROLE and CREATEDB) on any PostgreSQL >= 15:
--
--   psql -v owner=shopcrm -v app=shopcrm_app -v platform=shopcrm_platform -v database=shopcrm \
--        [-v owner_password=… -v app_password=… -v platform_password=…] -f deploy/roles.sql
--
-- owner:    owns the database and every table; only `manage.py migrate` connects as it.
-- app:      what the web server and the workers connect as; DML rights only (granted after each migrate),
--           so it cannot ALTER, DROP or disable anything, nor TRUNCATE, nor read the tenant key.
-- platform: the logged cross-shop jobs (outbox sweeper, webhook look-ups, file purges); same rights as app,
--           plus a policy that admits every shop's rows once the job has entered its sealed platform scope.
-- None of them is a superuser or may bypass row-level security, and none is a member of another.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'platform')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'platform') \gexec

SELECT format('ALTER ROLE %I NOSUPERUSER NOBYPASSRLS NOCREATEROLE', :'owner') \gexec
SELECT format('ALTER ROLE %I NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION', r)
  FROM unnest(ARRAY[:'app', :'platform']) AS r \gexec
-- Earlier versions had a single role; make sure neither runtime role can SET ROLE to the owner.
SELECT format('REVOKE %I FROM %I', :'owner', m.rolname)
  FROM pg_auth_members a JOIN pg_roles o ON o.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
 WHERE o.rolname = :'owner' AND m.rolname IN (:'app', :'platform') \gexec

\if :{?owner_password}
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password') \gexec
\endif
\if :{?app_password}
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password') \gexec
\endif
\if :{?platform_password}
SELECT format('ALTER ROLE %I PASSWORD %L', :'platform', :'platform_password') \gexec
\endif

SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') \gexec
