-- FerretDB v1 (PostgreSQL backend) pushes an equality filter down as
--   _jsonb->'<field>' @> '<value>'
-- but indexes `_id` with a btree on (_jsonb->'_id'), which cannot serve `@>`:
-- every `_id` look-up would scan its table. This trigger gives each table
-- FerretDB creates a GIN index on the same expression, which serves `@>`, so an
-- `_id` look-up is an index hit as on MongoDB. (Needs plan_cache_mode =
-- force_custom_plan: a generic plan keeps the field name as a parameter and no
-- expression index matches it.)
CREATE OR REPLACE FUNCTION coupon_pools_index_id() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  created record;
BEGIN
  FOR created IN
    SELECT c.objid::regclass AS tbl
    FROM pg_event_trigger_ddl_commands() AS c
    JOIN pg_class AS t ON t.oid = c.objid
    WHERE c.command_tag = 'CREATE TABLE' AND c.object_type = 'table'
      AND t.relname NOT LIKE '\_ferretdb\_%'
      AND EXISTS (SELECT 1 FROM pg_attribute AS a
                  WHERE a.attrelid = c.objid AND a.attname = '_jsonb' AND NOT a.attisdropped)
  LOOP
    EXECUTE format('CREATE INDEX ON %s USING gin ((_jsonb -> ''_id'') jsonb_path_ops) WITH (fastupdate = off)', created.tbl);
  END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS coupon_pools_index_id;
CREATE EVENT TRIGGER coupon_pools_index_id ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION coupon_pools_index_id();
