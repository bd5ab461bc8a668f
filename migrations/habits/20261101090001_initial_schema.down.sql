-- autogen migration (down)
-- service: habits
-- version: 20261101090001
-- parent: none
-- message: initial schema
-- schema-before: 36ac5fe1ce8faaaa705f51cc0e5353114b0348d225bf3f028ac7dd863e3f31b0
-- schema-after: 17aaeacaa44f7a4729c7ee0a46bc3accc8bc60fb5ce8b7b3758d5c93dd2fbd5a

-- 1. alter sequence `habits.habits_id_seq`
ALTER SEQUENCE habits.habits_id_seq OWNED BY NONE;

-- 2. drop table `habits.checkins`
-- hazard: data loss: drops table `habits.checkins` and all its rows
DROP TABLE habits.checkins;

-- 3. drop table `habits.habits`
-- hazard: data loss: drops table `habits.habits` and all its rows
DROP TABLE habits.habits;

-- 4. drop sequence `habits.habits_id_seq`
-- hazard: data loss: drops sequence `habits.habits_id_seq` and its current value
DROP SEQUENCE habits.habits_id_seq;

-- 5. drop enum `habits.cadence`
DROP TYPE habits.cadence;

-- 6. drop schema `habits`
DROP SCHEMA habits;

