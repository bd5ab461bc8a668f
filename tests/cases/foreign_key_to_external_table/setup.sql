CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY);
