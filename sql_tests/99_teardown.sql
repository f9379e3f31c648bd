--
-- Drop the fixture: the extension goes with its tables and data.
--
DROP EXTENSION invite_api;
SELECT count(*) FROM pg_class WHERE relnamespace = 'invite_api'::regnamespace;
-- CREATE EXTENSION made the schema named in the control file; it stays.
DROP SCHEMA invite_api;
DROP FUNCTION regress_page_faults(bigint, int, int[]), regress_position_faults();
SET client_min_messages = warning;
DROP SCHEMA invite_test CASCADE;
RESET client_min_messages;
DROP FUNCTION regress_epoch(numeric);
DROP EXTENSION pgcrypto;
