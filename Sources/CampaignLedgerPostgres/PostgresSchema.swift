import Logging
import PostgresNIO

/// The shared log's tables and append function (docs/scale-out.md "In PostgreSQL"), created when
/// missing, under an advisory lock so that hosts starting together do not race.
enum PostgresSchema {
    static let statements: [String] = [
        """
        CREATE TABLE IF NOT EXISTS ledger_events (
            position bigint PRIMARY KEY CHECK (position > 0),
            id text NOT NULL UNIQUE,
            recorded_at bigint NOT NULL,
            canonical text NOT NULL,
            address text,
            address_salt bytea,
            hash bytea NOT NULL CHECK (octet_length(hash) = 32)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS ledger_head (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            position bigint NOT NULL,
            recorded_at bigint NOT NULL,
            hash bytea NOT NULL
        )
        """,
        """
        INSERT INTO ledger_head (singleton, position, recorded_at, hash)
        VALUES (true, 0, 0, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
        ON CONFLICT DO NOTHING
        """,
        // Returns the new head position, or -(head) - 1 when the head is not the expected one
        // (nothing appended). A head at the expected position with another hash means the
        // appending host's replica disagrees with the log: SQLSTATE LG001, naming the position.
        """
        CREATE OR REPLACE FUNCTION ledger_append(
            expect_position bigint, expect_hash bytea, ids text[], recorded bigint[], canonical text[],
            has_address boolean[], addresses text[], salts bytea[], hashes bytea[]
        ) RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE
            head_position bigint;
            head_hash bytea;
            n integer := cardinality(ids);
        BEGIN
            PERFORM pg_advisory_xact_lock(\(PostgresLog.appendLock));
            SELECT position, hash INTO head_position, head_hash FROM ledger_head;
            IF head_position <> expect_position THEN
                RETURN -head_position - 1;
            END IF;
            IF head_hash <> expect_hash THEN
                RAISE EXCEPTION USING ERRCODE = 'LG001',
                    MESSAGE = 'the appending replica''s chain differs from the log''s at position ' || head_position;
            END IF;
            INSERT INTO ledger_events (position, id, recorded_at, canonical, address, address_salt, hash)
            SELECT expect_position + i, ids[i], recorded[i], canonical[i],
                   CASE WHEN has_address[i] THEN addresses[i] END,
                   CASE WHEN has_address[i] THEN salts[i] END, hashes[i]
            FROM generate_subscripts(ids, 1) AS i;
            UPDATE ledger_head SET position = expect_position + n, recorded_at = recorded[n], hash = hashes[n];
            PERFORM pg_notify('\(PostgresLog.channel)', (expect_position + n)::text);
            RETURN expect_position + n;
        END
        $$
        """,
    ]

    static func create(_ c: PostgresConnection, logger: Logger) async throws {
        let present = try await c.query(
            "SELECT to_regclass('ledger_head') IS NOT NULL AND to_regproc('ledger_append') IS NOT NULL", logger: logger)
        for try await ready in present.decode(Bool.self) where ready { return }
        try await c.query("BEGIN", logger: logger)
        do {
            try await c.query("SELECT pg_advisory_xact_lock(\(PostgresLog.schemaLock))", logger: logger)
            for sql in statements {
                try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            }
            try await c.query("COMMIT", logger: logger)
        } catch {
            _ = try? await c.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
