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
            hash bytea NOT NULL CHECK (octet_length(hash) = 32),
            address_problem text
        )
        """,
        // A log made before erasure (issue #18) gets the column: an erased contact.added keeps
        // there why its address was not dialable (null: it was).
        """
        ALTER TABLE ledger_events ADD COLUMN IF NOT EXISTS address_problem text
        """,
        // ANALYZE would copy sampled addresses into pg_statistic, out of erasure's reach.
        """
        ALTER TABLE ledger_events ALTER COLUMN address SET STATISTICS 0, ALTER COLUMN address_salt SET STATISTICS 0
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
        //
        // Erasure (issue #18, docs/erasure.md): problems[i] ('' for none) is an erased
        // contact.added's address problem; erase_positions[i] > 0 on a contact.forgotten is the
        // position of the contact's contact.added, whose address and salt are removed in this
        // transaction (its canonical bytes, with the digest the chain covers, stay) and whose
        // address problem becomes erase_problems[i]. A position that is not a contact.added
        // before it: SQLSTATE LG002, nothing appended.
        """
        DROP FUNCTION IF EXISTS ledger_append(bigint, bytea, text[], bigint[], text[], boolean[], text[], bytea[], bytea[])
        """,
        """
        DROP FUNCTION IF EXISTS ledger_append(
            bigint, bytea, text[], bigint[], text[], boolean[], text[], bytea[], bytea[], text[], bigint[], text[])
        """,
        """
        CREATE FUNCTION ledger_append(
            expect_position bigint, expect_hash bytea, ids text[], recorded bigint[], canonical text[],
            has_address boolean[], addresses text[], salts bytea[], hashes bytea[], problems text[],
            erase_positions bigint[], erase_problems text[]
        ) RETURNS TABLE (
            head bigint, e_position bigint, e_id text, e_recorded_at bigint, e_canonical text, e_address text,
            e_address_salt bytea, e_hash bytea, e_address_problem text
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
                    e.address_salt, e.hash, e.address_problem
                FROM ledger_events e WHERE e.position > expect_position ORDER BY e.position LIMIT 2000;
                RETURN;
            END IF;
            IF head_hash <> expect_hash THEN
                RAISE EXCEPTION USING ERRCODE = 'LG001',
                    MESSAGE = 'the appending replica''s chain differs from the log''s at position ' || head_position;
            END IF;
            INSERT INTO ledger_events (position, id, recorded_at, canonical, address, address_salt, hash, address_problem)
            SELECT expect_position + i, ids[i], recorded[i], canonical[i],
                   CASE WHEN has_address[i] THEN addresses[i] END,
                   CASE WHEN has_address[i] THEN salts[i] END, hashes[i], NULLIF(problems[i], '')
            FROM generate_subscripts(ids, 1) AS i;
            FOR i IN 1 .. n LOOP
                CONTINUE WHEN erase_positions[i] = 0;
                UPDATE ledger_events e
                SET address = NULL, address_salt = NULL, address_problem = NULLIF(erase_problems[i], '')
                WHERE e.position = erase_positions[i] AND e.position < expect_position + i
                    AND e.canonical LIKE '{"type":"contact.added",%';
                IF NOT FOUND THEN
                    RAISE EXCEPTION USING ERRCODE = 'LG002',
                        MESSAGE = 'the contact.forgotten at position ' || (expect_position + i) || ' erases position '
                            || erase_positions[i] || ', which is not a contact.added before it';
                END IF;
            END LOOP;
            UPDATE ledger_head SET position = expect_position + n, recorded_at = recorded[n], hash = hashes[n];
            PERFORM pg_notify('\(PostgresLog.channel)', (expect_position + n)::text);
            RETURN QUERY SELECT expect_position + n, NULL::bigint, NULL::text, NULL::bigint, NULL::text, NULL::text,
                NULL::bytea, NULL::bytea, NULL::text;
        END
        $$
        """,
    ]

    static func create(_ c: PostgresConnection, logger: Logger) async throws {
        let present = try await c.query(
            "SELECT to_regclass('ledger_head') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'ledger_append' AND pronargs = 12)", logger: logger)
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
