-- autogen migration (up)
-- service: journal
-- version: 20261101090002
-- parent: none
-- message: initial schema
-- schema-before: 36ac5fe1ce8faaaa705f51cc0e5353114b0348d225bf3f028ac7dd863e3f31b0
-- schema-after: 3e3e82413c571db0ede87877c1f0284f1a0b7fba62ae05a4c059bfca4f44886b

-- 1. create schema `journal`
CREATE SCHEMA journal;
COMMENT ON SCHEMA journal IS 'Owned by the journal service';

-- 2. create extension `pgcrypto`
CREATE EXTENSION pgcrypto WITH SCHEMA journal;

-- 3. create enum `journal.entry_status`
CREATE TYPE journal.entry_status AS ENUM ('draft', 'published', 'archived');

-- 4. create table `journal.entries`
CREATE TABLE journal.entries (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    status journal.entry_status DEFAULT 'draft' NOT NULL,
    title varchar(120) NOT NULL,
    body text,
    amount numeric(10,2),
    seq bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    created_at timestamp DEFAULT now() NOT NULL,
    CONSTRAINT entries_pkey PRIMARY KEY (id),
    CONSTRAINT entries_user_id_title_key UNIQUE (user_id, title),
    CONSTRAINT entries_title_not_blank CHECK (length(title) > 0),
    CONSTRAINT entries_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts.users (id) ON DELETE CASCADE
);
CREATE INDEX entries_user_created_idx ON journal.entries (user_id, created_at DESC) WHERE (status <> 'archived');
COMMENT ON TABLE journal.entries IS 'Journal entries written by users';

