-- autogen migration (up)
-- service: journal
-- version: 20261121104956
-- parent: none
-- message: initial
-- schema-before: 36ac5fe1ce8faaaa705f51cc0e5353114b0348d225bf3f028ac7dd863e3f31b0
-- schema-after: 3b4cf768283e07e47548e15872f38eeb0eabde4a5385487d0de456950266f903

-- 1. create schema `journal`
CREATE SCHEMA journal;

-- 2. create enum `journal.entry_status`
CREATE TYPE journal.entry_status AS ENUM ('draft', 'published', 'archived');
COMMENT ON TYPE journal.entry_status IS 'Where an entry is in its life';

-- 3. create table `journal.entries`
CREATE TABLE journal.entries (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    status journal.entry_status DEFAULT 'draft' NOT NULL,
    title varchar(200) NOT NULL,
    body text,
    amount numeric(12,2),
    tags text[] NOT NULL,
    meta jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT entries_pkey PRIMARY KEY (id),
    CONSTRAINT entries_title_key UNIQUE (title),
    CONSTRAINT entries_amount_not_negative CHECK (amount >= 0),
    CONSTRAINT entries_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts.users (id) ON DELETE CASCADE
);
CREATE INDEX entries_tags_idx ON journal.entries USING gin (tags);
CREATE INDEX entries_user_id_created_at_idx ON journal.entries (user_id, created_at);
COMMENT ON TABLE journal.entries IS 'One journal entry';

-- 4. create table `journal.entry_likes`
CREATE TABLE journal.entry_likes (
    entry_id uuid NOT NULL,
    user_id uuid NOT NULL,
    liked_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT entry_likes_pkey PRIMARY KEY (entry_id, user_id),
    CONSTRAINT entry_likes_entry_id_fkey FOREIGN KEY (entry_id) REFERENCES journal.entries (id) ON DELETE CASCADE,
    CONSTRAINT entry_likes_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts.users (id) ON DELETE CASCADE
);

-- 5. create table `journal.entry_revisions`
CREATE TABLE journal.entry_revisions (
    entry_id uuid NOT NULL,
    revision integer NOT NULL,
    body text NOT NULL,
    edited_at timestamptz DEFAULT now() NOT NULL,
    edited_on date NOT NULL,
    attachment bytea,
    word_count bigint NOT NULL,
    CONSTRAINT entry_revisions_pkey PRIMARY KEY (entry_id, revision),
    CONSTRAINT entry_revisions_revision_positive CHECK (revision > 0),
    CONSTRAINT entry_revisions_entry_id_fkey FOREIGN KEY (entry_id) REFERENCES journal.entries (id) ON DELETE CASCADE
);

