-- autogen migration (up)
-- service: habits
-- version: 20261101090001
-- parent: none
-- message: initial schema
-- schema-before: 36ac5fe1ce8faaaa705f51cc0e5353114b0348d225bf3f028ac7dd863e3f31b0
-- schema-after: 17aaeacaa44f7a4729c7ee0a46bc3accc8bc60fb5ce8b7b3758d5c93dd2fbd5a

-- 1. create schema `habits`
CREATE SCHEMA habits;

-- 2. create enum `habits.cadence`
CREATE TYPE habits.cadence AS ENUM ('daily', 'weekly');

-- 3. create sequence `habits.habits_id_seq`
CREATE SEQUENCE habits.habits_id_seq AS bigint INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1 NO CYCLE;

-- 4. create table `habits.habits`
CREATE TABLE habits.habits (
    id bigint DEFAULT nextval('habits.habits_id_seq'::regclass) NOT NULL,
    user_id uuid NOT NULL,
    name text NOT NULL,
    cadence habits.cadence DEFAULT 'daily' NOT NULL,
    CONSTRAINT habits_pkey PRIMARY KEY (id),
    CONSTRAINT habits_user_id_name_key UNIQUE (user_id, name),
    CONSTRAINT habits_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts.users (id) ON DELETE CASCADE
);

-- 5. create table `habits.checkins`
CREATE TABLE habits.checkins (
    habit_id bigint NOT NULL,
    day date NOT NULL,
    CONSTRAINT checkins_pkey PRIMARY KEY (habit_id, day),
    CONSTRAINT checkins_habit_id_fkey FOREIGN KEY (habit_id) REFERENCES habits.habits (id) ON DELETE CASCADE
);

-- 6. alter sequence `habits.habits_id_seq`
ALTER SEQUENCE habits.habits_id_seq OWNED BY habits.habits.id;

