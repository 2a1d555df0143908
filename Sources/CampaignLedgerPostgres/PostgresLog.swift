public import CampaignLedger
import Foundation
public import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The shared log on PostgreSQL (DESIGN.md §8, docs/scale-out.md): one table of events, one head
/// row, and `ledger_append`, which appends a batch under a transaction-scoped advisory lock if
/// the head is still the one the host judged the batch against — one round trip, one statement,
/// its own transaction, committed with PostgreSQL's durability (`synchronous_commit` on), then
/// `NOTIFY ledger_events`.
public final class PostgresLog: SharedLog {
    /// `postgres://user@host:port/database`, without the password.
    public let name: String
    private let connector: Connector
    private let logger: Logger
    private let wakeups = Wakeups()
    private let listener = Mutex<Task<Void, Never>?>(nil)

    /// The channel `ledger_append` notifies (payload: the new head position).
    public static let channel = "ledger_events"
    /// The advisory lock appends hold to commit ('ledger' in ASCII), and the one creating the schema.
    static let appendLock: Int64 = 0x6C65_6467_6572
    static let schemaLock: Int64 = 0x6C65_6467_6573

    /// A log at `url`: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (or `postgresql://`).
    /// Nothing is connected until the first use; the tables are created then when missing.
    public init(url: String, logger: Logger = Logger(label: "campaign-ledger.postgres")) throws {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql",
            let host = c.host, !host.isEmpty, let user = c.user, !user.isEmpty
        else {
            throw LedgerError.usage("--log \(Self.redacted(url)): not a URL like postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        let port = c.port ?? 5432
        var database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        if database.isEmpty { database = user }
        for item in c.queryItems ?? [] {
            if item.name == "sslmode", item.value == "disable" { continue }
            throw LedgerError.usage(
                "--log: the option \(item.name)=\(item.value ?? "") is not supported (only sslmode=disable: no TLS yet); reach PostgreSQL over loopback or a private network")
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: c.password, database: database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        name = "postgres://\(user)@\(host):\(port)/\(database)"
        self.logger = logger
        connector = Connector(configuration: configuration, logger: logger)
    }

    deinit {
        listener.withLock { $0?.cancel() }
    }

    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "…"
        return c.string ?? url
    }

    // MARK: SharedLog

    public func head() async throws -> LogHead {
        try await run("reading its head") { c in
            let rows = try await c.query("SELECT position, recorded_at, hash FROM ledger_head", logger: logger)
            for try await (position, recordedAt, hash) in rows.decode((Int64, Int64, ByteBuffer).self) {
                return LogHead(position: UInt64(position), recordedAtMicros: recordedAt, hash: Array(buffer: hash))
            }
            throw LedgerError.unavailable("\(name) has no ledger_head row; was it created by another program?")
        }
    }

    public func append(_ events: [LoggedEvent], after head: LogHead) async throws -> SharedLogAppend {
        guard !events.isEmpty else { return .committed }
        let ids = events.map(\.id)
        let recorded = events.map(\.recordedAtMicros)
        let canonical = events.map(\.canonical)
        let hasAddress = events.map { $0.address != nil }
        let addresses = events.map { $0.address ?? "" }
        let salts = events.map { ByteBuffer(bytes: $0.addressSalt ?? []) }
        let hashes = events.map { ByteBuffer(bytes: $0.hash) }
        let problems = events.map { $0.addressProblem ?? "" }
        let erasePositions = events.map { $0.erases.map { Int64($0.addedPosition) } ?? 0 }
        let eraseProblems = events.map { $0.erases?.addressProblem ?? "" }
        let expectPosition = Int64(head.position)
        let expectHash = ByteBuffer(bytes: head.hash)
        return try await run("appending") { c in
            let rows = try await c.query(
                """
                SELECT * FROM ledger_append(\(expectPosition), \(expectHash), \(ids), \(recorded), \(canonical), \
                \(hasAddress), \(addresses), \(salts), \(hashes), \(problems), \(erasePositions), \(eraseProblems))
                """, logger: logger)
            var head: Int64?
            var missing: [LoggedEvent] = []
            for try await (h, p, id, recordedAt, canonical, address, salt, hash, problem) in rows.decode(
                (Int64, Int64?, String?, Int64?, String?, String?, ByteBuffer?, ByteBuffer?, String?).self)
            {
                head = h
                if let p, let id, let recordedAt, let canonical, let hash {
                    missing.append(
                        LoggedEvent(
                            position: UInt64(p), id: id, recordedAtMicros: recordedAt, canonical: canonical,
                            address: address, addressSalt: salt.map { Array(buffer: $0) }, addressProblem: problem,
                            hash: Array(buffer: hash)))
                }
            }
            guard let head else { throw LedgerError.internal("ledger_append returned no row") }
            if head < 0 { return .headMoved(to: UInt64(-head - 1), events: missing) }
            return .committed
        }
    }

    public func events(after position: UInt64, limit: Int) async throws -> [LoggedEvent] {
        let after = Int64(position)
        let limit = Int64(limit)
        return try await run("reading events") { c in
            let rows = try await c.query(
                """
                SELECT position, id, recorded_at, canonical, address, address_salt, hash, address_problem FROM ledger_events
                WHERE position > \(after) ORDER BY position LIMIT \(limit)
                """, logger: logger)
            var out: [LoggedEvent] = []
            for try await (p, id, recordedAt, canonical, address, salt, hash, problem) in rows.decode(
                (Int64, String, Int64, String, String?, ByteBuffer?, ByteBuffer, String?).self)
            {
                out.append(
                    LoggedEvent(
                        position: UInt64(p), id: id, recordedAtMicros: recordedAt, canonical: canonical,
                        address: address, addressSalt: salt.map { Array(buffer: $0) }, addressProblem: problem,
                        hash: Array(buffer: hash)))
            }
            return out
        }
    }

    public func waitForAppends(after position: UInt64, timeout: Duration) async throws {
        startListening()
        let ticket = wakeups.arm()
        // A notification sent before the ticket was armed is not lost: the head says so.
        if try await head().position > position {
            wakeups.disarm(ticket)
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wakeups.wait(ticket) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        wakeups.disarm(ticket)
    }

    /// A connection of its own that LISTENs on `channel` and wakes the waiters; reconnects after
    /// a second when PostgreSQL goes away (waiters poll meanwhile).
    private func startListening() {
        listener.withLock { task in
            guard task == nil else { return }
            let (connector, wakeups, logger) = (self.connector, self.wakeups, self.logger)
            task = Task.detached {
                while !Task.isCancelled {
                    do {
                        let c = try await connector.connectNew()
                        defer { Task { await Connector.close(c) } }
                        try await c.listen(on: Self.channel) { notifications in
                            wakeups.wakeAll()
                            for try await _ in notifications { wakeups.wakeAll() }
                        }
                    } catch {
                        logger.debug("the LISTEN connection ended: \(String(reflecting: error))")
                    }
                    wakeups.wakeAll()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    // MARK: Connections and errors

    private func run<T: Sendable>(
        _ what: String, _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let c: PostgresConnection
        do {
            c = try await connector.connection()
        } catch let e as LedgerError {
            throw e
        } catch {
            throw unreachable(what, error)
        }
        do {
            return try await body(c)
        } catch let e as LedgerError {
            throw e
        } catch let e as PSQLError where e.code == .server {
            let message = e.serverInfo?[.message] ?? "an error"
            if e.serverInfo?[.sqlState] == "LG001", let p = message.split(separator: " ").last.flatMap({ UInt64($0) }) {
                throw LedgerError.diverged(position: p, "\(name) refused the append: \(message)")
            }
            throw LedgerError.unavailable("\(name) refused \(what): \(message)")
        } catch {
            await connector.drop(c)
            throw unreachable(what, error)
        }
    }

    private func unreachable(_ what: String, _ error: any Error) -> LedgerError {
        var reason = "\(error)"
        if let e = error as? PSQLError {
            reason = e.serverInfo?[.message] ?? e.underlying.map { "\($0)" } ?? e.code.description
        }
        // NIO's connection errors name the system error last: `… (errno: 111)`.
        if let range = reason.range(of: "(errno: ", options: .backwards),
            let code = Int32(reason[range.upperBound...].prefix { $0.isNumber })
        {
            reason = String(cString: strerror(code))
        }
        return .unavailable(
            "the shared log \(name) is unreachable (\(reason)) while \(what): nothing was applied to this store; appends fail until it is back, reads answer from this store")
    }
}

/// One connection for queries, made on first use and again after it broke; the schema is made
/// once per process when missing.
private actor Connector {
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    var current: PostgresConnection?
    var schemaReady = false
    var nextID = 1

    init(configuration: PostgresConnection.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Every open connection of the process. PostgresNIO requires a connection to be closed
    /// before it is released; one a `PostgresLog` still holds when it goes away (a command
    /// exiting) stays here, open, until the process ends.
    static let open = Mutex<[ObjectIdentifier: PostgresConnection]>([:])

    func connectNew() async throws -> PostgresConnection {
        nextID += 1
        let c = try await PostgresConnection.connect(configuration: configuration, id: nextID, logger: logger)
        Self.open.withLock { $0[ObjectIdentifier(c)] = c }
        return c
    }

    /// Closes a connection and forgets it.
    static func close(_ c: PostgresConnection) async {
        try? await c.close()
        _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(c)) }
    }

    func connection() async throws -> PostgresConnection {
        if let c = current, !c.isClosed { return c }
        current = nil
        let c = try await connectNew()
        if !schemaReady {
            do {
                try await PostgresSchema.create(c, logger: logger)
            } catch {
                await Self.close(c)
                throw error
            }
            schemaReady = true
        }
        current = c
        return c
    }

    func drop(_ c: PostgresConnection) async {
        if current === c { current = nil }
        await Self.close(c)
    }
}

/// Waiters for the next notification: a ticket is armed before the head is read, so a
/// notification between the two still wakes it.
final class Wakeups: Sendable {
    private struct State {
        var next = 0
        var fired: Set<Int> = []
        var armed: Set<Int> = []
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    func arm() -> Int {
        state.withLock { s in
            s.next += 1
            s.armed.insert(s.next)
            return s.next
        }
    }

    func disarm(_ ticket: Int) {
        let c = state.withLock { s in
            s.armed.remove(ticket)
            s.fired.remove(ticket)
            return s.waiting.removeValue(forKey: ticket)
        }
        c?.resume()
    }

    func wakeAll() {
        let resumed = state.withLock { s in
            s.fired.formUnion(s.armed)
            let w = s.waiting
            s.waiting = [:]
            return w
        }
        for c in resumed.values { c.resume() }
    }

    func wait(_ ticket: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s in
                    if s.fired.contains(ticket) || !s.armed.contains(ticket) { return true }
                    s.waiting[ticket] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { s in
                s.fired.insert(ticket)
                return s.waiting.removeValue(forKey: ticket)
            }
            c?.resume()
        }
    }
}
