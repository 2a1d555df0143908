import Foundation
import LMDB

/// What `Ledger.compact` did.
public struct CompactResult: Sendable, Hashable {
    /// The size of `data.mdb` before and after.
    public var bytesBefore: UInt64
    public var bytesAfter: UInt64
    /// How long it took, in seconds.
    public var seconds: Double

    /// `ledger compact --json`.
    public var json: JSONOutput {
        .object([
            ("bytesBefore", .int(Int64(bytesBefore))), ("bytesAfter", .int(Int64(bytesAfter))),
            ("seconds", .double(seconds)),
        ])
    }
}

extension Ledger {
    /// Rewrites the store at `path` record by record into a new file and swaps it in atomically
    /// (docs/erasure.md, docs/operations.md): the new `data.mdb` holds the live records and
    /// nothing else, so the bytes of an erased address, which LMDB's freed pages and the free
    /// space of pages keep until reused, leave the file. Positions, hashes and answers do not
    /// change.
    ///
    /// Only when no other process has the store open: LMDB's lock file tells (every process
    /// that opens a store holds a shared lock on it), and the swap holds it exclusively, so a
    /// process that starts meanwhile waits and then opens the new file. Refused
    /// (`LedgerError.unavailable`) otherwise. No `Ledger` of this store may be open in the
    /// calling process.
    public static func compact(path: String) throws -> CompactResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let data = path + "/data.mdb"
        guard FileManager.default.fileExists(atPath: data) else { throw LedgerError.storeNotFound(path: path) }
        guard access(path, W_OK) == 0, access(data, W_OK) == 0 else {
            throw LedgerError.unavailable("\(path) is not writable; compaction rewrites the store in place")
        }
        // Our own descriptor of the lock file, open until the end: closing any descriptor of a
        // file drops every POSIX lock this process holds on it, LMDB's own included.
        let lock = open(path + "/lock.mdb", O_RDWR | O_CREAT, 0o644)
        guard lock >= 0 else { throw LedgerError.unavailable("cannot open \(path)/lock.mdb: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        if let pid = otherUser(lock) {
            throw LedgerError.unavailable(
                "another process (pid \(pid)) has \(path) open; stop it (a server, a follower, an append) and run compact again")
        }
        let before = try fileStamp(data)
        let work = path + "/compact.tmp"
        try? FileManager.default.removeItem(atPath: work)  // left by an interrupted compaction
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: work) }
        do {
            var options = Environment.Options()
            options.maxDatabases = LedgerStore.maxDatabases
            options.create = false
            options.mapSize = 64 << 30
            let source = try Environment.open(path: path, options: options)
            try source.copyRecords(to: work)
        } catch {
            throw LedgerStore.translate(error, path: path)
        }
        // Exclusive now, or someone came while we copied: then the copy may be stale.
        guard setLock(lock, F_WRLCK) else {
            throw LedgerError.unavailable(
                "another process opened \(path) while it was being compacted; nothing was changed: run compact again when it is stopped")
        }
        guard try fileStamp(data) == before else {
            throw LedgerError.unavailable(
                "\(path) was written to while it was being compacted; nothing was changed: run compact again")
        }
        guard rename(work + "/data.mdb", data) == 0 else {
            throw LedgerError.unavailable("cannot replace \(data): \(String(cString: strerror(errno)))")
        }
        let directory = open(path, O_RDONLY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        // The lock file still describes the old file (its last transaction id): opening the new
        // one while this process holds the lock exclusively makes LMDB set it up afresh, then
        // share it; a process that waited meanwhile goes on with the new file.
        do {
            var options = Environment.Options()
            options.maxDatabases = LedgerStore.maxDatabases
            options.create = false
            options.mapSize = 64 << 30
            let reopened = try Environment.open(path: path, options: options)
            _ = reopened.info()
        } catch {
            throw LedgerStore.translate(error, path: path)
        }
        return CompactResult(
            bytesBefore: before.size, bytesAfter: try fileStamp(data).size,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// The pid of another process holding LMDB's lock on the store (byte 0 of the lock file),
    /// or nil when there is none.
    private static func otherUser(_ fd: Int32) -> Int32? {
        var request = Glibc.flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = 0
        request.l_len = 1
        guard fcntl(fd, F_GETLK, &request) == 0 else { return nil }
        return request.l_type == Int16(F_UNLCK) ? nil : request.l_pid
    }

    /// Takes LMDB's lock on byte 0 of the lock file (without waiting); whether it was taken.
    private static func setLock(_ fd: Int32, _ type: Int32) -> Bool {
        var request = Glibc.flock()
        request.l_type = Int16(type)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = 0
        request.l_len = 1
        return fcntl(fd, F_SETLK, &request) == 0
    }

    private struct FileStamp: Equatable {
        var size: UInt64
        var modified: timespec

        static func == (a: FileStamp, b: FileStamp) -> Bool {
            a.size == b.size && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
        }
    }

    private static func fileStamp(_ file: String) throws -> FileStamp {
        var st = stat()
        guard stat(file, &st) == 0 else {
            throw LedgerError.unavailable("cannot read \(file): \(String(cString: strerror(errno)))")
        }
        return FileStamp(size: UInt64(st.st_size), modified: st.st_mtim)
    }
}
