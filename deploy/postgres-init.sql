-- The app's own role: it owns its database but is no superuser and cannot bypass row-level security.
CREATE ROLE shopcrm LOGIN PASSWORD 'shopcrm' CREATEDB NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE shopcrm OWNER shopcrm;
