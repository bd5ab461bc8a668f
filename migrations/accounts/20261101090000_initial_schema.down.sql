-- autogen migration (down)
-- service: accounts
-- version: 20261101090000
-- parent: none
-- message: initial schema
-- schema-before: 36ac5fe1ce8faaaa705f51cc0e5353114b0348d225bf3f028ac7dd863e3f31b0
-- schema-after: 2ac5acdb13fb559ef74382f47fd289a8028502e9525a93217158d7171bfe3c3b

-- 1. drop table `accounts.users`
-- hazard: data loss: drops table `accounts.users` and all its rows
DROP TABLE accounts.users;

-- 2. drop schema `accounts`
DROP SCHEMA accounts;

