-- autogen migration (down)
-- service: journal
-- version: 20261121104956
-- parent: none
-- message: initial
-- schema-before: 36ac5fe1ce8faaaa705f51cc0e5353114b0348d225bf3f028ac7dd863e3f31b0
-- schema-after: 3b4cf768283e07e47548e15872f38eeb0eabde4a5385487d0de456950266f903

-- 1. drop table `journal.entry_revisions`
-- hazard: data loss: drops table `journal.entry_revisions` and all its rows
DROP TABLE journal.entry_revisions;

-- 2. drop table `journal.entry_likes`
-- hazard: data loss: drops table `journal.entry_likes` and all its rows
DROP TABLE journal.entry_likes;

-- 3. drop table `journal.entries`
-- hazard: data loss: drops table `journal.entries` and all its rows
DROP TABLE journal.entries;

-- 4. drop enum `journal.entry_status`
DROP TYPE journal.entry_status;

-- 5. drop schema `journal`
DROP SCHEMA journal;

