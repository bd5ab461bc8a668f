-- autogen migration (up)
-- service: habits
-- version: 20261119160000
-- parent: 20261105100000
-- message: link check-ins to journal entries
-- schema-before: ac9a0181951d0c58492cde1f9a50b6afb280f52bb1326026c42fa28aaa8e2edf
-- schema-after: 1595c87b10b5c142674388f7bc1294af24b11d85e7d118d16fd79adb72b9dfea

-- 1. add column `entry_id` to `habits.checkins`
ALTER TABLE habits.checkins ADD COLUMN entry_id uuid;

-- 2. add column `note` to `habits.checkins`
ALTER TABLE habits.checkins ADD COLUMN note text;

-- 3. add constraint `checkins_entry_id_fkey` to `habits.checkins`
-- hazard: may fail on existing rows: rows without a matching referenced row
-- hazard: blocks writes: validates every row, locking both tables
ALTER TABLE habits.checkins ADD CONSTRAINT checkins_entry_id_fkey FOREIGN KEY (entry_id) REFERENCES journal.entries (id) ON DELETE SET NULL;

