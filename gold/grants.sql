-- Unity Catalog privileges, applied by the `grants` task of the bundle (lakehouse-inv-grants). Not a table.
-- ${engineers} / ${analysts}: the bundle variables engineers_group / analysts_group; ${bronze|silver|gold}: the
-- layer schemas (<catalog>.<prefix>_<layer>). Schema-level grants cover the schema's present and future tables,
-- views and volumes.

-- Engineers run and repair the pipeline: every privilege on every layer (tables, views, volumes).
GRANT USE CATALOG ON CATALOG ${catalog} TO `${engineers}`;
GRANT ALL PRIVILEGES ON SCHEMA ${bronze} TO `${engineers}`;
GRANT ALL PRIVILEGES ON SCHEMA ${silver} TO `${engineers}`;
GRANT ALL PRIVILEGES ON SCHEMA ${gold} TO `${engineers}`;

-- Analysts read gold: its tables and the v_* views, nothing else (raw and conformed data stay with engineers).
GRANT USE CATALOG ON CATALOG ${catalog} TO `${analysts}`;
GRANT USE SCHEMA ON SCHEMA ${gold} TO `${analysts}`;
GRANT SELECT ON SCHEMA ${gold} TO `${analysts}`;
REVOKE ALL PRIVILEGES ON SCHEMA ${bronze} FROM `${analysts}`;
REVOKE ALL PRIVILEGES ON SCHEMA ${silver} FROM `${analysts}`;
