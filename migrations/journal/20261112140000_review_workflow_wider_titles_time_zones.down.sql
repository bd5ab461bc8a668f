-- autogen migration (down)
-- service: journal
-- version: 20261112140000
-- parent: 20261101090002
-- message: review workflow, wider titles, time zones
-- schema-before: 3e3e82413c571db0ede87877c1f0284f1a0b7fba62ae05a4c059bfca4f44886b
-- schema-after: bd96e05eeba70e39ca71fbbf569d1de0127a7e00785757b8f5a741b4481bfe7a

-- 1. drop index `entries_user_created_idx` on `journal.entries`
DROP INDEX journal.entries_user_created_idx;

-- 2. drop index `entries_body_search_idx` on `journal.entries`
DROP INDEX journal.entries_body_search_idx;

-- 3. drop column `bio` from `journal.entries`
-- hazard: data loss: drops column `bio` of `journal.entries` and its values
-- hazard: access-exclusive lock: brief, to change the table definition
ALTER TABLE journal.entries DROP COLUMN bio;

-- 4. rebuild enum `journal.entry_status` without `in_review`
-- hazard: may fail on existing rows: rows holding the removed value(s) `in_review` fail the conversion
-- hazard: table rewrite: rewrites every row under an ACCESS EXCLUSIVE lock
-- hazard: data not restored: this undoes a step that removed data; the data removed then is not brought back
ALTER TYPE journal.entry_status RENAME TO entry_status__old;
CREATE TYPE journal.entry_status AS ENUM ('draft', 'published', 'archived');
COMMENT ON TYPE journal.entry_status IS 'Where an entry is in its life';
ALTER TABLE journal.entries ALTER COLUMN status DROP DEFAULT;
ALTER TABLE journal.entries ALTER COLUMN status TYPE journal.entry_status USING status::text::journal.entry_status;
ALTER TABLE journal.entries ALTER COLUMN status SET DEFAULT 'draft';
DROP TYPE journal.entry_status__old;

-- 5. alter column `created_at` of `journal.entries`
-- hazard: table rewrite: rewrites every row under an ACCESS EXCLUSIVE lock
ALTER TABLE journal.entries ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE journal.entries ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC';
ALTER TABLE journal.entries ALTER COLUMN created_at SET DEFAULT now();

-- 6. alter column `amount` of `journal.entries`
-- hazard: table rewrite: rewrites every row under an ACCESS EXCLUSIVE lock
-- hazard: may fail on existing rows: values that do not fit `numeric(10,2)` are refused or changed
ALTER TABLE journal.entries ALTER COLUMN amount TYPE numeric(10,2) USING amount::numeric(10,2);

-- 7. alter column `title` of `journal.entries`
-- hazard: table rewrite: rewrites every row under an ACCESS EXCLUSIVE lock
-- hazard: may fail on existing rows: values that do not fit `varchar(120)` are refused or changed
ALTER TABLE journal.entries ALTER COLUMN title TYPE varchar(120) USING title::varchar(120);

-- 8. create index `entries_user_created_idx` on `journal.entries`
-- hazard: blocks writes: builds `entries_user_created_idx` without CONCURRENTLY
CREATE INDEX entries_user_created_idx ON journal.entries (user_id, created_at DESC) WHERE (status <> 'archived');

-- 9. set comment on enum `journal.entry_status`
COMMENT ON TYPE journal.entry_status IS NULL;

