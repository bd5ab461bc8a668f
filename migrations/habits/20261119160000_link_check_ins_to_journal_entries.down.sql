-- autogen migration (down)
-- service: habits
-- version: 20261119160000
-- parent: 20261105100000
-- message: link check-ins to journal entries
-- schema-before: ac9a0181951d0c58492cde1f9a50b6afb280f52bb1326026c42fa28aaa8e2edf
-- schema-after: 1595c87b10b5c142674388f7bc1294af24b11d85e7d118d16fd79adb72b9dfea

-- 1. drop constraint `checkins_entry_id_fkey` from `habits.checkins`
ALTER TABLE habits.checkins DROP CONSTRAINT checkins_entry_id_fkey;

-- 2. drop column `note` from `habits.checkins`
-- hazard: data loss: drops column `note` of `habits.checkins` and its values
-- hazard: access-exclusive lock: brief, to change the table definition
ALTER TABLE habits.checkins DROP COLUMN note;

-- 3. drop column `entry_id` from `habits.checkins`
-- hazard: data loss: drops column `entry_id` of `habits.checkins` and its values
-- hazard: access-exclusive lock: brief, to change the table definition
ALTER TABLE habits.checkins DROP COLUMN entry_id;

