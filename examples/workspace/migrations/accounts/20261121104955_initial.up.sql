-- autogen migration (up)
-- service: accounts
-- version: 20261121104955
-- parent: none
-- message: initial
-- schema-before: 36ac5fe1ce8faaaa705f51cc0e5353114b0348d225bf3f028ac7dd863e3f31b0
-- schema-after: eeaa208c27ab37a2fe3fc1d1852d3545a4fbad769614d85cf0bb3fe041e1e350

-- 1. create schema `accounts`
CREATE SCHEMA accounts;

-- 2. create extension `citext`
CREATE EXTENSION citext WITH SCHEMA accounts;

-- 3. create table `accounts.users`
CREATE TABLE accounts.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email accounts.citext NOT NULL,
    display_name text,
    created_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (email)
);
COMMENT ON TABLE accounts.users IS 'People who can sign in';

