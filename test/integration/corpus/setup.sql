-- Objects the differential corpus reads and writes. Run once, straight against PostgreSQL,
-- before the cases; teardown.sql drops them.
create type diff_mood as enum ('sad', 'ok', 'happy', 'it''s "odd"');

create table diff_types (
  id int4 primary key,
  b bool,
  i2 int2,
  i4 int4,
  i8 int8,
  f4 float4,
  f8 float8,
  n numeric,
  n10_2 numeric(10,2),
  n38_0 numeric(38),
  t text,
  vc varchar(10),
  vcu varchar,
  ch char(5),
  ch1 char,
  nm name,
  by bytea,
  d date,
  tm time,
  tm3 time(3),
  ts timestamp,
  ts0 timestamp(0),
  ts3 timestamp(3),
  tstz timestamptz,
  tstz2 timestamptz(2),
  u uuid,
  j json,
  jb jsonb,
  ip inet,
  nw cidr,
  o oid,
  m diff_mood,
  ia int4[],
  ta text[],
  na numeric(6,2)[],
  va varchar(4)[]
);

insert into diff_types values
  (1, true, 12, 123456, 1234567890123, 1.5, 2.25, 12.340, 99.5, 12345678901234567890123456789012345678,
   'plain text', 'short', 'unbounded', 'ab', 'x', 'a_name', '\x00ff10', '2024-02-29', '13:45:30.123456', '13:45:30.123',
   '2024-02-29 13:45:30.5', '2024-02-29 13:45:30', '2024-02-29 13:45:30.125', '2024-02-29 13:45:30.123456+05:30',
   '2024-02-29 13:45:30.129+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1,  "a": [1, 2]}', '{"b": 1, "a": [1, 2], "aa": null}',
   '192.168.0.1/24', '10.0.0.0/8', 1259, 'happy', '{1,NULL,3}', '{"a b",NULL,"q\"uote",""}', '{1.5,NULL,-2.25}', '{ab,"c d"}'),
  (2, false, -32768, -2147483648, -9223372036854775808, 'NaN', '-Infinity', 'NaN', -99999999.99, -1,
   E'multi\nline\ttab "dq" ''sq'' \\ backslash', '', '', '', ' ', '', '\x', '4713-01-01 BC', '00:00:00', '23:59:59.999',
   '0001-01-01 00:00:00 BC', '1999-12-31 23:59:59', '1970-01-01 00:00:00', '1900-01-01 00:00:00-01:30',
   '2000-01-01 00:00:00+14', '00000000-0000-0000-0000-000000000000', '[]', '{}', '::1', '2001:db8::/32', 4294967295, 'it''s "odd"', '{}', '{}', '{}', '{}'),
  (3, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
   null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

create table diff_dml (id serial primary key, v text, qty int4 default 0);
create table diff_uniq (id int4 primary key, v text not null);
insert into diff_uniq values (1, 'one');
create table diff_empty (a int4, b text);
create table diff_nocols ();
insert into diff_nocols default values;
insert into diff_nocols default values;
create table diff_big as select g as id, repeat('x', 1000) || g as pad from generate_series(1, 3000) g;
create view diff_view as select id, t, i2 * 2 as doubled from diff_types;
create table diff_fk_parent (id int4 primary key);
create table diff_fk_child (id int4 primary key, parent int4 references diff_fk_parent (id));
create table diff_check (id int4 primary key, qty int4 check (qty > 0));
