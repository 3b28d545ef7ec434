-- A counter moved by every change that ends a session or changes who a
-- signed-in account is (role, department, state, second factor). Instances
-- keep sessions in memory between requests and forget them when it moves
-- (internal/auth/session_cache.go).
CREATE TABLE auth_epoch (
    id INTEGER PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);
