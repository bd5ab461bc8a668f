-- autogen migration (down)
-- service: habits
-- version: 20261105100000
-- parent: 20261101090001
-- message: monthly cadence and tags for habits
-- schema-before: 17aaeacaa44f7a4729c7ee0a46bc3accc8bc60fb5ce8b7b3758d5c93dd2fbd5a
-- schema-after: ac9a0181951d0c58492cde1f9a50b6afb280f52bb1326026c42fa28aaa8e2edf

-- 1. drop constraint `habits_user_id_name_key` from `habits.habits`
ALTER TABLE habits.habits DROP CONSTRAINT habits_user_id_name_key;

-- 2. drop column `tags` from `habits.habits`
-- hazard: data loss: drops column `tags` of `habits.habits` and its values
-- hazard: access-exclusive lock: brief, to change the table definition
ALTER TABLE habits.habits DROP COLUMN tags;

-- 3. rebuild enum `habits.cadence` without `monthly`
-- hazard: may fail on existing rows: rows holding the removed value(s) `monthly` fail the conversion
-- hazard: table rewrite: rewrites every row under an ACCESS EXCLUSIVE lock
ALTER TYPE habits.cadence RENAME TO cadence__old;
CREATE TYPE habits.cadence AS ENUM ('daily', 'weekly');
ALTER TABLE habits.habits ALTER COLUMN cadence DROP DEFAULT;
ALTER TABLE habits.habits ALTER COLUMN cadence TYPE habits.cadence USING cadence::text::habits.cadence;
ALTER TABLE habits.habits ALTER COLUMN cadence SET DEFAULT 'daily';
DROP TYPE habits.cadence__old;

-- 4. add constraint `habits_user_id_name_key` to `habits.habits`
-- hazard: may fail on existing rows: duplicate (or NULL, for a primary key) values
-- hazard: access-exclusive lock: builds the index that enforces it
ALTER TABLE habits.habits ADD CONSTRAINT habits_user_id_name_key UNIQUE (user_id, name);

