-- autogen migration (down)
-- service: journal
-- version: 20261101090002
-- parent: none
-- message: initial schema
-- schema-before: 36ac5fe1ce8faaaa705f51cc0e5353114b0348d225bf3f028ac7dd863e3f31b0
-- schema-after: 3e3e82413c571db0ede87877c1f0284f1a0b7fba62ae05a4c059bfca4f44886b

-- 1. drop table `journal.entries`
-- hazard: data loss: drops table `journal.entries` and all its rows
DROP TABLE journal.entries;

-- 2. drop enum `journal.entry_status`
DROP TYPE journal.entry_status;

-- 3. drop extension `pgcrypto`
DROP EXTENSION pgcrypto;

-- 4. drop schema `journal`
DROP SCHEMA journal;

