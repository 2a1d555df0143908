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
        // One row with the new head position when appended. When the head is not the expected
        // one, nothing is appended and the rows are the events after the expected head (at most
        // 2 000, so the host catches up without another round trip), each with -(head) - 1. A
        // head at the expected position with another hash means the appending host's replica
        // disagrees with the log: SQLSTATE LG001, naming the position.
        """
        DROP FUNCTION IF EXISTS ledger_append(bigint, bytea, text[], bigint[], text[], boolean[], text[], bytea[], bytea[])
        """,
        """
        CREATE FUNCTION ledger_append(
            expect_position bigint, expect_hash bytea, ids text[], recorded bigint[], canonical text[],
            has_address boolean[], addresses text[], salts bytea[], hashes bytea[]
        ) RETURNS TABLE (
            head bigint, e_position bigint, e_id text, e_recorded_at bigint, e_canonical text, e_address text,
            e_address_salt bytea, e_hash bytea
        ) LANGUAGE plpgsql AS $$
        DECLARE
            head_position bigint;
            head_hash bytea;
            n integer := cardinality(ids);
        BEGIN
            PERFORM pg_advisory_xact_lock(\(PostgresLog.appendLock));
            SELECT h.position, h.hash INTO head_position, head_hash FROM ledger_head h;
            IF head_position <> expect_position THEN
                RETURN QUERY SELECT -head_position - 1, e.position, e.id, e.recorded_at, e.canonical, e.address,
                    e.address_salt, e.hash
                FROM ledger_events e WHERE e.position > expect_position ORDER BY e.position LIMIT 2000;
                RETURN;
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
            RETURN QUERY SELECT expect_position + n, NULL::bigint, NULL::text, NULL::bigint, NULL::text, NULL::text,
                NULL::bytea, NULL::bytea;
        END
        $$
        """,
    ]

    static func create(_ c: PostgresConnection, logger: Logger) async throws {
        let present = try await c.query(
            "SELECT to_regclass('ledger_head') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'ledger_append' AND proretset)", logger: logger)
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
