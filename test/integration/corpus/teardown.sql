-- Drops what setup.sql and the cases created.
drop view if exists diff_view;
drop table if exists diff_types, diff_dml, diff_uniq, diff_empty, diff_nocols, diff_big, diff_fk_child, diff_fk_parent,
  diff_check, diff_ddl, diff_ctas, diff_select_into, diff_merge, diff_trunc cascade;
drop schema if exists diff_schema cascade;
drop sequence if exists diff_seq;
drop function if exists diff_fn(int4);
drop type if exists diff_mood;
