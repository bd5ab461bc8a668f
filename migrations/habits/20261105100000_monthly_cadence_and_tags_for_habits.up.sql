-- autogen migration (up)
-- service: habits
-- version: 20261105100000
-- parent: 20261101090001
-- message: monthly cadence and tags for habits
-- schema-before: 17aaeacaa44f7a4729c7ee0a46bc3accc8bc60fb5ce8b7b3758d5c93dd2fbd5a
-- schema-after: ac9a0181951d0c58492cde1f9a50b6afb280f52bb1326026c42fa28aaa8e2edf

-- 1. add value `monthly` to enum `habits.cadence`
ALTER TYPE habits.cadence ADD VALUE 'monthly' AFTER 'weekly';

-- autogen:commit -- the enum values added above must be committed before they can be used

-- 2. drop constraint `habits_user_id_name_key` from `habits.habits`
ALTER TABLE habits.habits DROP CONSTRAINT habits_user_id_name_key;

-- 3. add column `tags` to `habits.habits`
ALTER TABLE habits.habits ADD COLUMN tags text[] DEFAULT '{}' NOT NULL;

-- 4. add constraint `habits_user_id_name_key` to `habits.habits`
-- hazard: may fail on existing rows: duplicate (or NULL, for a primary key) values
-- hazard: access-exclusive lock: builds the index that enforces it
ALTER TABLE habits.habits ADD CONSTRAINT habits_user_id_name_key UNIQUE NULLS NOT DISTINCT (user_id, name);

