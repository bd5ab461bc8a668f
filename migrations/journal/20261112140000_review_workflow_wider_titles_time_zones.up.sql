-- autogen migration (up)
-- service: journal
-- version: 20261112140000
-- parent: 20261101090002
-- message: review workflow, wider titles, time zones
-- schema-before: 3e3e82413c571db0ede87877c1f0284f1a0b7fba62ae05a4c059bfca4f44886b
-- schema-after: bd96e05eeba70e39ca71fbbf569d1de0127a7e00785757b8f5a741b4481bfe7a
-- allow-destructive: yes (data-loss steps accepted with `autogen revision --allow-destructive`)

-- 1. drop index `entries_user_created_idx` on `journal.entries`
DROP INDEX journal.entries_user_created_idx;

-- 2. rebuild enum `journal.entry_status` without `archived`
-- hazard: data loss: rows holding removed values are rewritten: `archived` -> `published`
-- hazard: table rewrite: rewrites every row under an ACCESS EXCLUSIVE lock
ALTER TYPE journal.entry_status RENAME TO entry_status__old;
CREATE TYPE journal.entry_status AS ENUM ('draft', 'in_review', 'published');
COMMENT ON TYPE journal.entry_status IS 'Where an entry is in its life';
ALTER TABLE journal.entries ALTER COLUMN status DROP DEFAULT;
UPDATE journal.entries SET status = 'published' WHERE status = 'archived';
ALTER TABLE journal.entries ALTER COLUMN status TYPE journal.entry_status USING status::text::journal.entry_status;
ALTER TABLE journal.entries ALTER COLUMN status SET DEFAULT 'draft';
DROP TYPE journal.entry_status__old;

-- 3. alter column `title` of `journal.entries`
ALTER TABLE journal.entries ALTER COLUMN title TYPE varchar(200);

-- 4. add column `bio` to `journal.entries`
ALTER TABLE journal.entries ADD COLUMN bio text;
COMMENT ON COLUMN journal.entries.bio IS 'Shown next to the entry';

-- 5. alter column `amount` of `journal.entries`
ALTER TABLE journal.entries ALTER COLUMN amount TYPE numeric(12,2);

-- 6. alter column `created_at` of `journal.entries`
-- hazard: table rewrite: rewrites every row under an ACCESS EXCLUSIVE lock
ALTER TABLE journal.entries ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE journal.entries ALTER COLUMN created_at TYPE timestamptz USING created_at AT TIME ZONE 'UTC';
ALTER TABLE journal.entries ALTER COLUMN created_at SET DEFAULT now();

-- 7. create index `entries_body_search_idx` on `journal.entries`
-- hazard: blocks writes: builds `entries_body_search_idx` without CONCURRENTLY
CREATE INDEX entries_body_search_idx ON journal.entries USING gin ((to_tsvector('english', body)));

-- 8. create index `entries_user_created_idx` on `journal.entries`
-- hazard: blocks writes: builds `entries_user_created_idx` without CONCURRENTLY
CREATE INDEX entries_user_created_idx ON journal.entries (user_id, created_at DESC) WHERE (status <> 'draft');

-- 9. set comment on enum `journal.entry_status`
COMMENT ON TYPE journal.entry_status IS 'Where an entry is in its life';

