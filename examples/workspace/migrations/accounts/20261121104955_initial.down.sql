-- autogen migration (down)
-- service: accounts
-- version: 20261121104955
-- parent: none
-- message: initial
-- schema-before: 36ac5fe1ce8faaaa705f51cc0e5353114b0348d225bf3f028ac7dd863e3f31b0
-- schema-after: eeaa208c27ab37a2fe3fc1d1852d3545a4fbad769614d85cf0bb3fe041e1e350

-- 1. drop table `accounts.users`
-- hazard: data loss: drops table `accounts.users` and all its rows
DROP TABLE accounts.users;

-- 2. drop extension `citext`
DROP EXTENSION citext;

-- 3. drop schema `accounts`
DROP SCHEMA accounts;

