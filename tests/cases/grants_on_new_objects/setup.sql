-- Roles are the server's (tests share it): made only if missing.
DO $$ BEGIN CREATE ROLE autogen_ro NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE "Autogen Writer" NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
