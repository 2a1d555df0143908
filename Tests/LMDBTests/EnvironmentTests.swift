import Foundation
import LMDB
import Testing

/// A fresh directory per call, inside one directory of this test process that is removed when
/// the process exits (an open environment stays open for the process's life), so the tests
/// leave nothing in the temporary directory.
func temporaryDirectory() -> String {
    let dir = scratchRoot + "/env-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

private let scratchRoot: String = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lmdb-tests-\(getpid())-\(UUID().uuidString.prefix(8))").path
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchRoot) }
    return dir
}()

@Suite struct EnvironmentTests {
    @Test func putGetDeleteRoundTrip() throws {
        let env = try Environment.open(path: temporaryDirectory())
        let db = try env.openDatabases(["kv"], create: true)[0]
        try env.write { txn in
            try txn.put(db, [1, 2], [9, 9, 9])
            try txn.put(db, [1, 3], [7])
        }
        let (a, b) = try env.read { txn in (try txn.get(db, [1, 2]), try txn.get(db, [1, 4])) }
        #expect(a == [9, 9, 9])
        #expect(b == nil)
        let deleted = try env.write { txn in try txn.delete(db, [1, 2]) }
        #expect(deleted)
        #expect(try env.read { txn in try txn.get(db, [1, 2]) } == nil)
    }

    @Test func throwingBodyAbortsTheWrite() throws {
        struct Boom: Error {}
        let env = try Environment.open(path: temporaryDirectory())
        let db = try env.openDatabases(["kv"], create: true)[0]
        #expect(throws: Boom.self) {
            try env.write { txn in
                try txn.put(db, [1], [1])
                throw Boom()
            }
        }
        #expect(try env.read { txn in try txn.get(db, [1]) } == nil)
    }

    /// A bulk load through one cursor: every key in order (past a few leaf splits), kept in full;
    /// a key that does not sort after the last is refused and stops nothing already written.
    @Test func appendingThroughACursorKeepsEveryRecordInOrder() throws {
        let env = try Environment.open(path: temporaryDirectory())
        let db = try env.openDatabases(["bulk"], create: true)[0]
        let count = 20_000
        try env.write { txn in
            try txn.withCursor(db) { cursor in
                for n in 0..<UInt64(count) {
                    let value = [UInt8](repeating: UInt8(n % 251), count: Int(n % 97))
                    try n.bigEndianBytes.withUnsafeBytes { k in
                        try value.withUnsafeBytes { v in try cursor.put(k, v, flags: .append) }
                    }
                }
                let stale = UInt64(5).bigEndianBytes
                #expect(throws: LMDBError.keyExists) {
                    try stale.withUnsafeBytes { k in try cursor.put(k, k, flags: .append) }
                }
            }
        }
        var seen = 0
        try env.read { txn in
            try txn.forEach(db) { key, value in
                let n = UInt64(bigEndianBytes: key)!
                #expect(n == UInt64(seen) && Array(value) == [UInt8](repeating: UInt8(n % 251), count: Int(n % 97)))
                seen += 1
                return true
            }
        }
        #expect(seen == count)
    }

    @Test func bigEndianKeysIterateInNumericOrder() throws {
        let env = try Environment.open(path: temporaryDirectory())
        let db = try env.openDatabases(["log"], create: true)[0]
        let numbers: [UInt64] = [300, 2, 65_536, 1, 256]
        try env.write { txn in
            for n in numbers { try txn.put(db, n.bigEndianBytes, []) }
        }
        var seen: [UInt64] = []
        try env.read { txn in
            try txn.forEach(db) { key, _ in
                seen.append(UInt64(bigEndianBytes: key)!)
                return true
            }
        }
        #expect(seen == [1, 2, 256, 300, 65_536])
    }

    @Test func prefixScanAndLastOfPrefix() throws {
        let env = try Environment.open(path: temporaryDirectory())
        let db = try env.openDatabases(["s"], create: true)[0]
        try env.write { txn in
            for key: [UInt8] in [[1, 1], [1, 5], [2, 0], [2, 9], [2, 0xFF], [3]] { try txn.put(db, key, key) }
        }
        var twos: [[UInt8]] = []
        try env.read { txn in
            try txn.forEach(db, prefix: [2]) { key, _ in
                twos.append(Array(key))
                return true
            }
        }
        #expect(twos == [[2, 0], [2, 9], [2, 0xFF]])
        let last = try env.read { txn in try txn.last(db, prefix: [2]) }
        #expect(last?.key == [2, 0xFF])
        #expect(try env.read { txn in try txn.last(db, prefix: [4]) } == nil)
        #expect(try env.read { txn in try txn.last(db, prefix: [3]) }?.key == [3])
    }

    @Test func sameDirectoryOpensOneEnvironmentPerProcess() throws {
        let dir = temporaryDirectory()
        let a = try Environment.open(path: dir)
        let b = try Environment.open(path: dir + "/.")
        #expect(a === b)
    }

    @Test func mapGrowsInsteadOfFailing() throws {
        var options = Environment.Options()
        options.mapSize = 256 * 1024  // far too small for what follows
        let env = try Environment.open(path: temporaryDirectory(), options: options)
        let db = try env.openDatabases(["big"], create: true)[0]
        let value = [UInt8](repeating: 0xAB, count: 1000)
        for batch in 0..<10 {
            try env.write { txn in
                for i in 0..<500 { try txn.put(db, UInt64(batch * 500 + i).bigEndianBytes, value) }
            }
        }
        let count = try env.read { txn in try txn.statistics(db).entries }
        #expect(count == 5000)
        #expect(env.info().mapSize > options.mapSize)
    }

    @Test func readOnlyEnvironmentReadsAndRefusesWrites() throws {
        let dir = temporaryDirectory()
        do {
            let env = try Environment.open(path: dir)
            let db = try env.openDatabases(["kv"], create: true)[0]
            try env.write { txn in try txn.put(db, [1], [2]) }
        }
        // A copy, so the read-only open does not meet the still-registered writable one.
        let copy = temporaryDirectory()
        try Environment.open(path: dir).copy(to: copy)
        var options = Environment.Options()
        options.readOnly = true
        let ro = try Environment.open(path: copy, options: options)
        let db = try ro.openDatabases(["kv"], create: false)[0]
        #expect(try ro.read { txn in try txn.get(db, [1]) } == [2])
        #expect(throws: LMDBError.notFound) { try ro.openDatabases(["missing"], create: false) }
    }

    @Test func errorsHaveReadableNames() {
        #expect(LMDBError.mapFull.name == "MDB_MAP_FULL")
        #expect(LMDBError.noSpace.description.hasPrefix("ENOSPC: "))
        #expect(LMDBError.keyExists.description.contains("MDB_KEYEXIST"))
    }

    @Test func noOverwriteReportsKeyExists() throws {
        let env = try Environment.open(path: temporaryDirectory())
        let db = try env.openDatabases(["kv"], create: true)[0]
        try env.write { txn in try txn.put(db, [1], [1]) }
        #expect(throws: LMDBError.keyExists) {
            try env.write { txn in try txn.put(db, [1], [2], flags: .noOverwrite) }
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func concurrentWritersAndReadersSeeConsistentSnapshots() throws {
        let env = try Environment.open(path: temporaryDirectory())
        let db = try env.openDatabases(["pair"], create: true)[0]
        // Invariant: keys [0] and [1] always hold the same counter.
        try env.write { txn in
            try txn.put(db, [0], UInt64(0).bigEndianBytes)
            try txn.put(db, [1], UInt64(0).bigEndianBytes)
        }
        let torn = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            if worker % 2 == 0 {
                for _ in 0..<200 {
                    try! env.write { txn in
                        let n = UInt64(bigEndianBytes: try txn.get(db, [0])!)! + 1
                        try txn.put(db, [0], n.bigEndianBytes)
                        try txn.put(db, [1], n.bigEndianBytes)
                    }
                }
            } else {
                for _ in 0..<500 {
                    let same = try! env.read { txn in try txn.get(db, [0]) == txn.get(db, [1]) }
                    if !same { torn.increment() }
                }
            }
        }
        #expect(torn.value == 0)
        let final = try env.read { txn in UInt64(bigEndianBytes: try txn.get(db, [0])!)! }
        #expect(final == 800)
    }

    @Test(.timeLimit(.minutes(5)))
    func nestedWriteIsAPreconditionFailureNotAHang() async {
        // The directory is made here: the child process that traps cannot remove anything.
        let dir = temporaryDirectory()
        await #expect(processExitsWith: .failure) { [dir = dir as String] in
            try nestedWrite(dir)
        }
    }
}

/// Opens a write transaction inside another on the same thread (a programming error).
func nestedWrite(_ dir: String) throws {
    let env = try Environment.open(path: dir)
    let db = try env.openDatabases(["kv"], create: true)[0]
    try env.write { outer in
        try outer.put(db, [1], [1])
        try env.write { inner in try inner.put(db, [2], [2]) }
    }
}

/// Opens `dir`, begins a read transaction and kills this process with SIGKILL inside it.
func dieInsideARead(_ dir: String) throws {
    let env = try Environment.open(path: dir)
    let db = try env.openDatabases(["kv"], create: true)[0]
    try env.write { txn in try txn.put(db, [1], [1]) }
    _ = try env.read { _ in
        kill(getpid(), SIGKILL)  // dies holding a reader slot
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Resource hygiene: a process killed while it holds a read transaction leaves its
/// reader slot in `lock.mdb`; the next process to open the store clears it (`mdb_reader_check`).
/// (When no other process has the store open, LMDB resets the whole reader table on open, so this
/// process keeps it open throughout.)
@Suite struct ReaderHygieneTests {
    @Test(.timeLimit(.minutes(5)))
    func staleReaderSlotsOfAKilledProcessAreClearedOnOpen() async throws {
        let dir = temporaryDirectory()
        let env = try Environment.open(path: dir)
        await #expect(processExitsWith: .signal(SIGKILL)) { [dir = dir as String] in
            try dieInsideARead(dir)
        }
        // Another process opens the store: its open clears the dead reader's slot.
        await #expect(processExitsWith: .success) { [dir = dir as String] in
            let opened = try Environment.open(path: dir)
            if opened.staleReadersCleared < 1 { exit(EXIT_FAILURE) }
        }
        #expect(env.clearStaleReaders() == 0)  // nothing left to clear
    }

    @Test func openingTheSameDirectoryTwiceGivesOneEnvironment() throws {
        let dir = temporaryDirectory()
        let a = try Environment.open(path: dir)
        let link = temporaryDirectory() + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir)
        let b = try Environment.open(path: link)
        #expect(a === b)
        // A different directory is a different environment.
        #expect(try Environment.open(path: temporaryDirectory()) !== a)
    }
}
