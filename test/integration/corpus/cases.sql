-- The differential corpus. Each case starts with `-- case: <name>` and holds one or more
-- statements. Directives right under it:
--   -- before: <sql>      run straight against PostgreSQL (not compared) before every run
--   -- accept: <names>    known differences this case shows (see README.md)
--   -- modes: <modes>     a subset of: simple extended describe binary

-- ===================================================================== bool and integers

-- case: bool values
select true as t, false as f, null::bool as n;

-- case: bool from expressions
select 1 < 2 as lt, 'yes'::bool as yes, 'off'::bool as off, (null::int4 is null) as isnull;

-- case: int2 extremes
select 32767::int2 as max, (-32768)::int2 as min, 0::int2 as zero, null::int2 as n;

-- case: int4 extremes
select 2147483647 as max, (-2147483648)::int4 as min, 0 as zero, -1 as minus_one, null::int4 as n;

-- case: int8 extremes
select 9223372036854775807::int8 as max, (-9223372036854775808)::int8 as min, 9007199254740993::int8 as above_2_53, null::int8 as n;

-- case: int8 from count and sum
select count(*) as c, sum(g) as s, sum(g::int8) as s8 from generate_series(1, 100) g;

-- case: integer arithmetic
select 7 / 2 as div, 7 % 3 as mod, -7 / 2 as negdiv, 2 ^ 10 as pow, abs(-5) as abs;

-- ===================================================================== floats

-- case: float4 specials
select 'NaN'::float4 as nan, 'Infinity'::float4 as inf, '-Infinity'::float4 as ninf, '-0'::float4 as negzero, 0::float4 as zero;

-- case: float4 tiny and huge
select 1.17549435e-38::float4 as min_normal, 1e-45::float4 as min_denormal, 3.4028235e38::float4 as max, 1e-7::float4 as small, 16777217::float4 as rounded;

-- case: float4 fractions
select (1::float4 / 3) as third, 0.1::float4 as tenth, 1.5::float4 as half, 123456.789::float4 as six_digits, -2.5e-5::float4 as neg;

-- case: float8 specials
select 'NaN'::float8 as nan, 'Infinity'::float8 as inf, '-Infinity'::float8 as ninf, '-0'::float8 as negzero, 0::float8 as zero;

-- case: float8 tiny and huge
select 5e-324::float8 as min_denormal, 2.2250738585072014e-308::float8 as min_normal, 1.7976931348623157e308::float8 as max, 1e-7::float8 as small, 1e-5::float8 as e5;

-- case: float8 fractions
select 1::float8 / 3 as third, 0.1::float8 + 0.2 as sum, 1e15::float8 as e15, 1e16::float8 as e16, 123456789012345680000::float8 as e20, -1.5 ::float8 as neg;

-- case: float8 integral values
select 1::float8 as one, 100::float8 as hundred, 2^53::float8 as two53, (2^53 + 1)::float8 as two53p1, 1e22::float8 as e22;

-- case: float null and mixed
select null::float4 as f4, null::float8 as f8, pi() as pi, exp(1) as e, sqrt(2) as sqrt2;

-- ===================================================================== numeric

-- case: numeric scales
select 0::numeric as zero, 1.50::numeric as kept_scale, 12.340 as literal, -0.001 as small, 100::numeric(10,2) as typed, 3.14159::numeric(5,2) as rounded;

-- case: numeric NaN and infinity
select 'NaN'::numeric as nan, 'Infinity'::numeric as inf, '-Infinity'::numeric as ninf;

-- case: numeric huge precision
select 123456789012345678901234567890.123456789012345678901234567890 as big, (10::numeric ^ 100) as googol, 1::numeric / 3 as third, 1e-20::numeric as tiny;

-- case: numeric extreme exponent
select 1e1000::numeric as e1000, 1e-1000::numeric as em1000, -9.99999e500::numeric as neg;

-- case: numeric arithmetic keeps scale
select 1.10 * 2 as product, 1.10 + 2.205 as sum, round(2.5) as round, trunc(-2.567, 2) as trunc, sum(x) as s from (values (1.1), (2.20), (3.300)) v(x);

-- case: numeric typmods
select 1::numeric(1) as p1, 99.5::numeric(10,2) as p10s2, 12345::numeric(38,0) as p38, 0.001::numeric(3,3) as p3s3, null::numeric(12,4) as n;

-- case: numeric column values
select id, n, n10_2, n38_0 from diff_types order by id;

-- ===================================================================== text types

-- case: text unicode
select '日本語テキスト' as ja, 'emoji 😀👍🏽' as emoji, 'Ünïcödé ß' as latin, 'مرحبا' as rtl, U&'\00e9\+01F600' as escaped;

-- case: text quotes and backslashes
select 'it''s' as sq, '"double"' as dq, E'back\\slash' as bs, 'no\escape' as standard, $$dollar 'quoted' "text"$$ as dollar;

-- case: text control characters
select E'line1\nline2' as nl, E'cr\rlf' as cr, E'tab\there' as tab, E'bell\007' as bell, E'\x01\x1f' as ctl;

-- case: text empty and null
select '' as empty, null::text as n, ' ' as space, '  padded  ' as padded;

-- case: text long
select repeat('abcdefghij', 10000) as hundred_k, length(repeat('é', 50000)) as len;

-- case: varchar with length
select 'abc'::varchar(10) as v10, 'abcdefghijkl'::varchar(5) as truncated, 'x'::varchar as unbounded, null::varchar(3) as n;

-- case: char padding
select 'ab'::char(5) as c5, 'abc'::char as c1, ''::char(3) as empty, 'abc  '::char(3) as trimmed, 'ab'::char(5) || 'x' as concat;

-- case: name type
select 'pg_class'::name as nm, current_user as usr, current_database() as db, repeat('n', 70)::name as truncated;

-- case: text columns from table
select id, t, vc, vcu, ch, ch1, nm from diff_types order by id;

-- case: string functions
select upper('abc') as up, lower('ÀÉ') as low, substr('hello', 2, 3) as sub, replace('a-b-c', '-', '+') as rep, format('%s=%L', 'k', 'v''s') as fmt;

-- ===================================================================== bytea

-- case: bytea empty and short
select ''::bytea as empty, '\xdeadbeef'::bytea as hex, 'abc'::bytea as from_text, E'\\000\\001'::bytea as escaped, null::bytea as n;

-- case: bytea all byte values
select decode(string_agg(lpad(to_hex(g), 2, '0'), ''), 'hex') as all_bytes from generate_series(0, 255) g;

-- case: bytea large
select decode(repeat('0123456789abcdef', 20000), 'hex') as big;

-- case: bytea column
select id, by from diff_types order by id;

-- ===================================================================== date and time

-- case: date values
select '2024-02-29'::date as leap, '1970-01-01'::date as epoch, '2000-01-01'::date as y2k, null::date as n;

-- case: date BC and far future
select '4713-01-01 BC'::date as min, '0001-01-01 BC'::date as one_bc, '0044-03-15 BC'::date as ides, '5874897-12-31'::date as max, '9999-12-31'::date as y9999;

-- case: date arithmetic
select '2024-01-31'::date + 1 as plus, '2024-03-01'::date - '2024-02-01'::date as diff, date '2024-12-25' as typed;

-- case: time values
select '00:00:00'::time as midnight, '23:59:59.999999'::time as max, '24:00:00'::time as end_of_day, '12:34:56.5'::time as half, '01:02:03.000001'::time as micro;

-- case: time with precision
-- accept: typmod
select '12:34:56.789'::time(0) as p0, '12:34:56.789'::time(2) as p2, '12:34:56.123456'::time(6) as p6, null::time(3) as n;

-- case: timestamp values
select '2024-02-29 13:45:30'::timestamp as whole, '2024-02-29 13:45:30.5'::timestamp as half, '2024-02-29 13:45:30.123456'::timestamp as micros, '2024-02-29 13:45:30.100'::timestamp as trailing_zeros;

-- case: timestamp BC and far future
select '0001-01-01 00:00:00 BC'::timestamp as bc, '4713-01-01 00:00:00 BC'::timestamp as min, '294276-12-31 23:59:59.999999'::timestamp as max, '10000-01-01 00:00:00'::timestamp as y10000;

-- case: timestamp with precision
-- accept: typmod
select '2024-01-01 12:00:00.987654'::timestamp(0) as p0, '2024-01-01 12:00:00.987654'::timestamp(3) as p3, '2024-01-01 12:00:00.987654'::timestamp(6) as p6;

-- case: timestamptz zones in input
select '2024-01-15 12:34:56+09'::timestamptz as tokyo, '2024-01-15 12:34:56-03:30'::timestamptz as newfoundland, '2024-07-01 00:00:00 America/New_York'::timestamptz as named, '2024-01-15 12:34:56Z'::timestamptz as zulu;

-- case: timestamptz fractions and offsets with seconds
select '2024-01-15 12:34:56.123456+05:45'::timestamptz as nepal, '1900-01-01 00:00:00+01:30:15'::timestamptz as seconds_offset, '2024-01-15 23:59:59.9-01'::timestamptz as day_change;

-- case: timestamptz BC and far future
select '0044-03-15 12:00:00+00 BC'::timestamptz as bc, '294276-12-31 23:59:59+00'::timestamptz as max, '4713-01-01 00:00:00+00 BC'::timestamptz as min;

-- case: timestamptz with precision
select '2024-01-15 12:34:56.987654+02'::timestamptz(0) as p0, '2024-01-15 12:34:56.987654+02'::timestamptz(3) as p3, null::timestamptz(1) as n;

-- case: date and time columns
select id, d, tm, tm3, ts, ts0, ts3, tstz, tstz2 from diff_types order by id;

-- case: time functions with fixed input
select date_trunc('hour', '2024-01-15 12:34:56'::timestamp) as trunc, extract(year from '2024-01-15'::date) as year, make_date(2024, 2, 29) as made, to_timestamp(0) as epoch_tz;

-- case: timestamp infinity
select 'infinity'::timestamp as inf, '-infinity'::timestamptz as ninf, 'infinity'::date as dinf;

-- ===================================================================== uuid, json, network, oid, enum

-- case: uuid values
select 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as plain, '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}'::uuid as braces_upper, 'a0eebc999c0b4ef8bb6d6bb9bd380a11'::uuid as no_dashes, null::uuid as n;

-- case: json keeps text
select '{"b": 1,  "a": [1, 2]}'::json as obj, '[1, "two", null, true]'::json as arr, '"str"'::json as str, 'null'::json as jnull, '  {"x":1}  '::json as spaced;

-- case: jsonb normalizes
select '{"b": 1, "a": 2, "aa": 3}'::jsonb as key_order, '{"a":1,"a":2}'::jsonb as dup_key, '[1,  2,{"z":null}]'::jsonb as spacing, '1.50'::jsonb as num, '"\u00e9\n"'::jsonb as escapes;

-- case: json functions
select json_build_object('k', 1, 'v', 'x''y') as built, jsonb_build_array(1, 'two', null) as arr, '{"a":{"b":[1,2]}}'::jsonb -> 'a' as arrow, '{"a":"x"}'::jsonb ->> 'a' as text_arrow;

-- case: json columns
select id, j, jb from diff_types order by id;

-- case: inet and cidr
select '192.168.0.1/24'::inet as host_net, '10.1.2.3'::inet as host, '::1'::inet as v6, '10.0.0.0/8'::cidr as net, '2001:db8::/32'::cidr as net6, null::inet as n;

-- case: network columns
select id, ip, nw from diff_types order by id;

-- case: oid values
select 1259::oid as pg_class, 4294967295::oid as max, 0::oid as zero, 'pg_type'::regclass::oid as via_regclass, null::oid as n;

-- case: enum values
-- accept: user-defined-type
select 'happy'::diff_mood as happy, 'it''s "odd"'::diff_mood as odd, null::diff_mood as n;

-- case: enum column
-- accept: user-defined-type
select id, m from diff_types order by id;

-- ===================================================================== arrays

-- case: int4 array with nulls
select '{1,NULL,3}'::int4[] as with_null, '{}'::int4[] as empty, array[2147483647, -2147483648] as extremes, null::int4[] as n;

-- case: int2 and int8 arrays
select '{32767,-32768,NULL}'::int2[] as i2, array[1::int8, null, 42] as i8, array[9007199254740993::int8] as i8_big;

-- case: int8 array extremes
select array[9223372036854775807::int8, (-9223372036854775808)::int8] as i8_extremes;

-- case: float arrays
select array[1.5::float4, null, 'NaN', '-Infinity', 0.1] as f4, array[0.1::float8, 1e-7, 'Infinity', '-0', 1e16] as f8;

-- case: numeric array
select array[1.50, null, 'NaN'::numeric, -0.001, 1e30] as nums, '{1.5,2.25}'::numeric(6,2)[] as typed;

-- case: bool array
select array[true, false, null] as bools, '{}'::bool[] as empty;

-- case: text array quoting
select array['plain', 'a b', 'c,d', 'e"f', 'g\h', null, 'NULL', '', '{}', 'é😀'] as needs_quotes;

-- case: text array more quoting
select array[E'new\nline', E'tab\t', ' lead', 'trail ', 'null', 'a''b'] as whitespace_quotes, '{}'::text[] as empty;

-- case: varchar char and name arrays
select array['ab'::varchar(4), 'cd'] as vc, array['a'::char(3), 'bc'::char(3)] as ch, array['pg_class'::name, 'x'] as nm;

-- case: date and time arrays
select array['2024-02-29'::date, null, '0044-03-15 BC'] as dates, array['12:34:56.5'::time, '00:00:00'] as times;

-- case: timestamp arrays
select array['2024-02-29 13:45:30.5'::timestamp, null, '0001-01-01 00:00:00 BC'] as ts, array['2024-01-15 12:34:56+09'::timestamptz, '2024-01-15 00:00:00.25Z'] as tstz;

-- case: uuid array
select array['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, null, '00000000-0000-0000-0000-000000000000'] as uuids;

-- case: json and jsonb arrays
select array['{"a": 1}'::json, '[1, 2]', null] as js, array['{"b":1,"a":2}'::jsonb, '"s"'] as jsb;

-- case: array columns
select id, ia, ta, na, va from diff_types order by id;

-- case: array functions
select array_agg(g order by g) as agg, array_length(array[1,2,3], 1) as len, string_to_array('a,b,,c', ',') as split, (array[10,20,30])[2] as elem from generate_series(1, 5) g;

-- case: array with lower bound
-- accept: array-bounds
select '[0:2]={1,2,3}'::int4[] as zero_based;

-- case: array of inet
select array['10.0.0.1'::inet, '::1'] as inets;

-- case: array of enum
-- accept: user-defined-type
select array['sad'::diff_mood, 'happy'] as moods;

-- ===================================================================== types the Data API refuses (fetched as text)

-- case: interval
select '1 day 02:03:04'::interval as dhms, '-1 year 2 mons'::interval as neg, '1.5 seconds'::interval as frac, interval '0' as zero, null::interval as n;

-- case: interval arithmetic
select '2024-03-01'::timestamp - '2024-02-01'::timestamp as diff, age('2024-01-01'::timestamp, '2000-06-15'::timestamp) as age;

-- case: "char"
select 'a'::"char" as c, ''::"char" as empty, relkind from pg_class where relname = 'pg_class';

-- case: money
select 12.34::money as m, (-0.5)::money as neg, null::money as n;

-- case: xml
select '<a x="1">text &amp; more</a>'::xml as doc, xmlelement(name b, 'v') as built;

-- case: geometric types
select '(1,2)'::point as p, '((0,0),(1,1))'::box as b, '<(0,0),1>'::circle as c, '[(0,0),(1,1)]'::lseg as l;

-- case: multidimensional int4 array
select '{{1,2},{3,4}}'::int4[] as md, array[[1.5, 2.5], [null, 4]] as md_numeric;

-- case: multidimensional text array
select array[['a', 'b c'], ['"q"', null]] as md_text;

-- case: timetz
select '12:34:56+02'::timetz as tz, '00:00:00.5-03:30'::timetz as frac;

-- case: bit strings
select B'1010'::bit(4) as b4, B'101'::varbit as vb, '1'::bit as b1;

-- case: macaddr and tsvector
select '08:00:2b:01:02:03'::macaddr as mac, 'the quick brown fox'::tsvector as ts, to_tsquery('fox & dog') as q;

-- case: ranges
select int4range(1, 10) as ir, '[2024-01-01,2024-02-01)'::daterange as dr, numrange(1.5, 2.5, '[]') as nr;

-- case: regtype and regclass
select 'int4'::regtype as rt, 'pg_class'::regclass as rc, 'now'::regproc as rp;

-- case: record
select row(1, 'a', null) as rec, (1, 2.5) as pair;

-- case: composite row of a table
-- accept: user-defined-type
select d from diff_empty d union all select row(1, 'x')::diff_empty;

-- case: interval array
select array['1 day'::interval, '2 hours'] as intervals;

-- case: refused type in a statement ending in a line comment
select '1 day'::interval as i, 1 as n -- trailing comment

-- case: statement ending in a line comment
select 1 as one, 'two' as two -- trailing comment

-- case: nulls of refused types
select null::interval as i, null::"char" as c, null::money as m, null::xml as x, null::point as p, null::int4[][] as md;

-- ===================================================================== nulls and mixed rows

-- case: null of every supported type
select null::bool as b, null::int2 as i2, null::int4 as i4, null::int8 as i8, null::float4 as f4, null::float8 as f8, null::numeric as n,
       null::text as t, null::varchar(3) as vc, null::char(2) as ch, null::name as nm, null::bytea as by, null::date as d, null::time as tm,
       null::timestamp as ts, null::timestamptz as tstz, null::uuid as u, null::json as j, null::jsonb as jb, null::inet as ip, null::cidr as nw,
       null::oid as o, null::text[] as ta, null::int8[] as i8a;

-- case: untyped null and literal
select null as nothing, 'literal' as unknown_literal, 1 as one;

-- case: whole row of all types
-- accept: user-defined-type
select * from diff_types where id = 1;

-- case: whole table of all types
-- accept: user-defined-type
table diff_types;

-- case: view
select * from diff_view order by id;

-- case: rows with nulls in every column
-- accept: user-defined-type
select * from diff_types where id = 3;

-- ===================================================================== result shapes

-- case: zero rows
select * from diff_empty;

-- case: zero rows with where false
select 1 as a, 'b'::text as b where false;

-- case: zero columns
select from diff_nocols;

-- case: select with nothing
select;

-- case: values list
values (1, 'a', 1.5), (2, null, 2.5);

-- case: duplicate and special column names
select 1 as a, 2 as a, 3 as "A", 4 as "with space", 5 as "Ünïcode ✓", 1 + 1, 'x' as "?column?";

-- case: unnamed columns
select 1, 'text', now() is not null, count(*) from diff_types;

-- case: long column name
-- accept: notices
select 1 as a_very_long_column_name_that_goes_on_and_on_past_the_sixty_three_byte_limit_of_identifiers;

-- case: thousand rows
select g as n, g * 1.5 as x, md5(g::text) as h from generate_series(1, 1000) g;

-- case: result over one mebibyte
select id, pad from diff_big order by id;

-- case: order by with limit and offset
select id, pad from diff_big order by id desc limit 3 offset 10;

-- case: join and aggregate
select t.id, count(*) as c, string_agg(g::text, ',' order by g) as s from diff_types t cross join generate_series(1, 3) g group by t.id order by t.id;

-- case: union and distinct
select 1 as x union select 2 union select 1 order by 1;

-- case: cte
with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select n, n * n as sq from r;

-- case: window function
select g, sum(g) over (order by g) as running, rank() over (order by g % 2) as rk from generate_series(1, 5) g;

-- case: subquery and exists
select exists (select 1 from diff_types where id = 1) as yes, (select max(id) from diff_types) as mx, 2 in (select id from diff_types) as inlist;

-- case: void function
select pg_sleep(0) as slept;

-- case: set returning function in select list
select generate_series(1, 3) as g, unnest(array['a', 'b', 'c']) as u;

-- case: system information functions
select version() as v, current_schema() as s, pg_typeof(1.5) as t, pg_typeof(1.5)::text as tt;

-- case: case expression and coalesce
select case when g > 2 then 'big' else 'small' end as size, coalesce(null, g) as c, nullif(g, 2) as ni from generate_series(1, 3) g;

-- case: table with serial column
-- before: truncate diff_dml restart identity; insert into diff_dml (v, qty) values ('a', 1), ('b', 2), ('c', 3)
select id, v, qty from diff_dml order by id;

-- ===================================================================== DML command tags

-- case: insert one row
-- before: truncate diff_dml restart identity
insert into diff_dml (v) values ('one');

-- case: insert several rows
-- before: truncate diff_dml restart identity
insert into diff_dml (v, qty) values ('a', 1), ('b', 2), ('c', 3);

-- case: insert from select
-- before: truncate diff_dml restart identity
insert into diff_dml (v, qty) select 'g' || g, g from generate_series(1, 100) g;

-- case: insert zero rows
-- before: truncate diff_dml restart identity
insert into diff_dml (v) select 'x' where false;

-- case: insert returning
-- modes: simple extended binary
-- before: truncate diff_dml restart identity
insert into diff_dml (v, qty) values ('x', 10), ('y', 20) returning id, v, qty * 2 as doubled;

-- case: insert default values returning
-- modes: simple extended binary
-- before: truncate diff_dml restart identity
insert into diff_dml default values returning *;

-- case: update rows
-- before: truncate diff_dml restart identity; insert into diff_dml (v, qty) values ('a', 1), ('b', 2), ('c', 3)
update diff_dml set qty = qty + 1 where id <= 2;

-- case: update zero rows
-- before: truncate diff_dml restart identity; insert into diff_dml (v, qty) values ('a', 1)
update diff_dml set qty = 0 where id > 100;

-- case: update returning
-- before: truncate diff_dml restart identity; insert into diff_dml (v, qty) values ('a', 1), ('b', 2), ('c', 3)
update diff_dml set v = upper(v) where qty >= 2 returning id, v;

-- case: delete rows
-- before: truncate diff_dml restart identity; insert into diff_dml (v, qty) values ('a', 1), ('b', 2), ('c', 3)
delete from diff_dml where qty > 1;

-- case: delete zero rows
-- before: truncate diff_dml restart identity
delete from diff_dml;

-- case: delete returning
-- before: truncate diff_dml restart identity; insert into diff_dml (v, qty) values ('a', 1), ('b', 2), ('c', 3)
delete from diff_dml where id = 2 returning *;

-- case: insert on conflict do nothing
-- before: delete from diff_uniq where id <> 1
insert into diff_uniq values (1, 'dup'), (2, 'two') on conflict do nothing;

-- case: insert on conflict do update returning
-- before: delete from diff_uniq where id <> 1; update diff_uniq set v = 'one' where id = 1
insert into diff_uniq values (1, 'uno') on conflict (id) do update set v = excluded.v returning id, v;

-- case: merge
-- before: drop table if exists diff_merge; create table diff_merge (id int4 primary key, v text); insert into diff_merge values (1, 'a'), (2, 'b')
merge into diff_merge m using (values (2, 'B'), (3, 'C')) s(id, v) on m.id = s.id when matched then update set v = s.v when not matched then insert values (s.id, s.v);

-- case: create table as
-- before: drop table if exists diff_ctas
create table diff_ctas as select g as id, g * 2 as twice from generate_series(1, 5) g;

-- case: select into
-- before: drop table if exists diff_select_into
select g as id into diff_select_into from generate_series(1, 4) g;

-- case: truncate
-- before: drop table if exists diff_trunc; create table diff_trunc (a int4); insert into diff_trunc values (1)
truncate diff_trunc;

-- case: multiple dml statements
-- before: truncate diff_dml restart identity
insert into diff_dml (v) values ('a'); update diff_dml set qty = 5; select v, qty from diff_dml; delete from diff_dml;

-- ===================================================================== DDL command tags

-- case: create and drop table
-- before: drop table if exists diff_ddl
create table diff_ddl (id int4 primary key, v text); drop table diff_ddl;

-- case: alter table and index
-- before: drop table if exists diff_ddl; create table diff_ddl (id int4)
alter table diff_ddl add column v text; create index diff_ddl_v on diff_ddl (v); drop index diff_ddl_v; comment on table diff_ddl is 'c';

-- case: create view and drop view
-- before: drop view if exists diff_ddl_view
create view diff_ddl_view as select 1 as one; drop view diff_ddl_view;

-- case: schema and sequence
-- before: drop schema if exists diff_schema cascade; drop sequence if exists diff_seq
create schema diff_schema; create sequence diff_seq; select nextval('diff_seq') as nv; drop sequence diff_seq; drop schema diff_schema;

-- case: create function and call it
-- before: drop function if exists diff_fn(int4)
create function diff_fn(x int4) returns int4 language sql as $$ select x * 2 $$; select diff_fn(21) as answer; drop function diff_fn(int4);

-- case: do block
do $$ begin perform 1; end $$;

-- case: drop if exists raises a notice
-- accept: notices
drop table if exists diff_no_such_table;

-- case: raise notice
-- accept: notices
do $$ begin raise notice 'hello %', 42; end $$;

-- ===================================================================== transactions

-- case: begin select commit
begin; select 1 as one; commit;

-- case: begin rollback
-- before: truncate diff_dml restart identity
begin; insert into diff_dml (v) values ('gone'); rollback; select count(*) from diff_dml;

-- case: start transaction with modes
start transaction isolation level serializable read only; select 1 as x; end;

-- case: commit without transaction
commit;

-- case: savepoints
begin; savepoint s1; select 1 as a; release savepoint s1; savepoint s2; rollback to savepoint s2; commit;

-- case: error inside transaction then rollback
begin; select 1 / 0; rollback;

-- case: error rolls back a multi statement query
-- before: truncate diff_dml restart identity
insert into diff_dml (v) values ('x'); select 1 / 0; insert into diff_dml (v) values ('y');

-- ===================================================================== errors

-- case: undefined table
select * from diff_no_such_table;

-- case: undefined column
select no_such_column from diff_types;

-- case: division by zero
select 1 / 0 as boom;

-- case: unique violation
insert into diff_uniq values (1, 'again');

-- case: not null violation
insert into diff_uniq (id, v) values (99, null);

-- case: foreign key violation
insert into diff_fk_child values (1, 12345);

-- case: check violation
insert into diff_check values (1, -1);

-- case: syntax error at start
selec 1;

-- case: syntax error at end of input
-- accept: statement-terminator
select 1 +;

-- case: syntax error after unicode
select 'é😀日本' as x, from diff_types;

-- case: invalid input syntax with position
select 'abc'::int4;

-- case: operator does not exist with hint
select 'a'::text + 1;

-- case: function does not exist
select no_such_function(1, 'x');

-- case: numeric out of range
select 2147483647::int4 + 1;

-- case: error in second statement
select 1 as first; select * from diff_no_such_table; select 3 as third;

-- case: raise exception with hint and where
do $$ begin raise exception 'boom %', 1 using hint = 'try again', errcode = 'P0001'; end $$;

-- case: raise with custom sqlstate
do $$ begin raise sqlstate '22023' using message = 'bad parameter value'; end $$;

-- case: ambiguous column
select id from diff_types, diff_uniq;

-- case: permission style error on system table
-- accept: rows-before-error
select pg_read_file('/nonexistent/aurora-pg-proxy');

-- case: invalid regex
select 'a' ~ '(';

-- case: cast error in row
-- accept: rows-before-error
select g::text::int4 from (values ('1'), ('x')) v(g);

-- ===================================================================== empty query, settings

-- case: empty query

-- case: only a semicolon
;

-- case: only a comment
-- nothing to run here

-- case: show time zone
show TimeZone;

-- case: show datestyle and integer datetimes
show DateStyle; show integer_datetimes;

-- case: show server settings
show search_path; show statement_timeout; show max_connections;

-- case: show extra float digits and encoding
show extra_float_digits; show client_encoding; show server_encoding;

-- case: show standard conforming strings
show standard_conforming_strings;

-- case: current_setting
select current_setting('TimeZone') as tz, current_setting('DateStyle') as ds, current_setting('search_path') as sp;

-- case: set then show
set statement_timeout = '5s'; show statement_timeout; reset statement_timeout; show statement_timeout;

-- case: set application name
set application_name = 'differential'; show application_name;

-- case: show unknown setting
show no_such_setting;

-- ===================================================================== parameters (extended protocol only)

-- case: untyped parameters inferred
-- params: ["42", "text value", "2024-02-29"]
select $1::int4 + 1 as plus, upper($2) as up, $3::date as d;

-- case: parameter compared with integer column
-- params: ["1"]
select id, t from diff_types where id = $1;

-- case: parameters of several types
-- params: ["1.50", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{\"k\": [1, 2]}", "2024-01-15 12:34:56+09", "t"]
select $1::numeric as n, $2::uuid as u, $3::jsonb as j, $4::timestamptz as tz, $5::bool as b;

-- case: null parameter
-- params: [null, "x"]
select coalesce($1::text, 'was null') as c, $2 || 'y' as cat;

-- case: parameter in insert returning
-- before: truncate diff_dml restart identity
-- params: ["from param", "7"]
-- modes: extended binary
insert into diff_dml (v, qty) values ($1, $2) returning v, qty;

-- case: parameter in update
-- before: truncate diff_dml restart identity; insert into diff_dml (v, qty) values ('a', 1), ('b', 2)
-- params: ["10", "a"]
update diff_dml set qty = $1 where v = $2;

-- case: parameter error position
-- accept: parameter-conversion-error
-- params: ["x"]
select $1::int4 as bad;

-- case: parameter text that looks like placeholders
-- params: ["p"]
select $1 as p, '$1 :name' as lit, $$ $2 :x $$ as dollar;

-- ===================================================================== more transaction shapes

-- case: describe sees objects created earlier in the transaction
-- accept: table-created-in-case
-- before: drop table if exists diff_ddl
begin; create table diff_ddl (id int4, v text); insert into diff_ddl values (1, 'a'); select * from diff_ddl; rollback;

-- case: describe with parameters inside a transaction
-- accept: table-created-in-case
-- before: drop table if exists diff_ddl
-- params: ["1"]
begin; create table diff_ddl (id int4, v text); insert into diff_ddl values (1, 'a'); select v from diff_ddl where id = $1; rollback;

-- case: large result after another statement
-- accept: result-over-1mib-in-transaction
select 1 as first; select id, pad from diff_big order by id;

-- case: large result inside a transaction
-- accept: result-over-1mib-in-transaction
begin; select id, pad from diff_big order by id; commit;

-- ===================================================================== settings that shape values

-- case: reported setting set twice in one query
set application_name = 'x'; set application_name = '';

-- case: reported setting set and rolled back in one query
begin; set application_name = 'inside'; rollback;

-- case: time zone set by the client
set timezone = 'Asia/Tokyo'; select '2024-01-15 12:34:56+00'::timestamptz as tz, '2024-01-15'::date as d, array['2024-06-01 00:00:00.25+00'::timestamptz] as tza;

-- case: time zone in server-side conversions
-- accept: timezone-utc
set timezone = 'Asia/Tokyo'; select ('2024-01-15 20:00:00+00'::timestamptz)::date as d;

-- case: datestyle set by the client
-- accept: datestyle-iso-only
set datestyle = 'German'; select '2024-01-15'::date as d, '2024-01-15 12:34:56'::timestamp as ts;

-- case: extra_float_digits zero
set extra_float_digits = 0; select 0.1::float8 + 0.2 as f8, 1::float4 / 3 as f4, 1e-7::float8 as small;

-- case: extra_float_digits three as pgJDBC sets it
set extra_float_digits = 3; select 0.1::float8 + 0.2 as f8, 1::float4 / 3 as f4;

-- case: bytea_output escape
set bytea_output = 'escape'; select '\xdeadbeef00'::bytea as b, 'abc'::bytea as t;

-- case: intervalstyle iso_8601
-- accept: intervalstyle-postgres
set intervalstyle = 'iso_8601'; select '1 day 02:03:04'::interval as i;
