internal import CLMDB
#if canImport(Glibc)
    internal import Glibc
#endif

/// An error returned by LMDB or by the operating system underneath it.
///
/// Compare with the named constants: `catch let e as LMDBError where e == .mapFull`.
public struct LMDBError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The C return code: an `MDB_*` code (negative) or an `errno` value (positive).
    public let code: Int32

    public init(code: Int32) { self.code = code }

    /// The key/data pair already exists. The corresponding C constant is `MDB_KEYEXIST`.
    public static let keyExists = LMDBError(code: MDB_KEYEXIST)
    /// No matching key/data pair. The corresponding C constant is `MDB_NOTFOUND`.
    public static let notFound = LMDBError(code: MDB_NOTFOUND)
    /// A referenced page was not found: the file is damaged. `MDB_PAGE_NOTFOUND`.
    public static let pageNotFound = LMDBError(code: MDB_PAGE_NOTFOUND)
    /// The file is damaged. `MDB_CORRUPTED`.
    public static let corrupted = LMDBError(code: MDB_CORRUPTED)
    /// A fatal error; the environment must be reopened. `MDB_PANIC`.
    public static let panic = LMDBError(code: MDB_PANIC)
    /// The file was written by an incompatible LMDB version. `MDB_VERSION_MISMATCH`.
    public static let versionMismatch = LMDBError(code: MDB_VERSION_MISMATCH)
    /// The file is not an LMDB file. `MDB_INVALID`.
    public static let invalid = LMDBError(code: MDB_INVALID)
    /// The memory map is full (handled inside `Environment.write` by growing it). `MDB_MAP_FULL`.
    public static let mapFull = LMDBError(code: MDB_MAP_FULL)
    /// Too many named databases. `MDB_DBS_FULL`.
    public static let databasesFull = LMDBError(code: MDB_DBS_FULL)
    /// Every reader slot is in use. `MDB_READERS_FULL`.
    public static let readersFull = LMDBError(code: MDB_READERS_FULL)
    /// The transaction has too many dirty pages. `MDB_TXN_FULL`.
    public static let transactionFull = LMDBError(code: MDB_TXN_FULL)
    /// Another process grew the map (handled by adopting its size). `MDB_MAP_RESIZED`.
    public static let mapResized = LMDBError(code: MDB_MAP_RESIZED)
    /// The database was opened with incompatible flags. `MDB_INCOMPATIBLE`.
    public static let incompatible = LMDBError(code: MDB_INCOMPATIBLE)
    /// A key or value has an invalid size (keys are at most 511 bytes). `MDB_BAD_VALSIZE`.
    public static let badValueSize = LMDBError(code: MDB_BAD_VALSIZE)
    /// The transaction must abort, has a child, or is invalid. `MDB_BAD_TXN`.
    public static let badTransaction = LMDBError(code: MDB_BAD_TXN)
    /// No space left on the device. The corresponding C constant is `ENOSPC`.
    public static let noSpace = LMDBError(code: ENOSPC)
    /// Permission denied (e.g. a write on a read-only store). The corresponding C constant is `EACCES`.
    public static let accessDenied = LMDBError(code: EACCES)
    /// No such file or directory. The corresponding C constant is `ENOENT`.
    public static let noSuchFile = LMDBError(code: ENOENT)

    /// A short readable name: `MDB_MAP_FULL`, `ENOSPC`, …
    public var name: String {
        switch code {
        case MDB_KEYEXIST: "MDB_KEYEXIST"
        case MDB_NOTFOUND: "MDB_NOTFOUND"
        case MDB_PAGE_NOTFOUND: "MDB_PAGE_NOTFOUND"
        case MDB_CORRUPTED: "MDB_CORRUPTED"
        case MDB_PANIC: "MDB_PANIC"
        case MDB_VERSION_MISMATCH: "MDB_VERSION_MISMATCH"
        case MDB_INVALID: "MDB_INVALID"
        case MDB_MAP_FULL: "MDB_MAP_FULL"
        case MDB_DBS_FULL: "MDB_DBS_FULL"
        case MDB_READERS_FULL: "MDB_READERS_FULL"
        case MDB_TXN_FULL: "MDB_TXN_FULL"
        case MDB_MAP_RESIZED: "MDB_MAP_RESIZED"
        case MDB_INCOMPATIBLE: "MDB_INCOMPATIBLE"
        case MDB_BAD_RSLOT: "MDB_BAD_RSLOT"
        case MDB_BAD_TXN: "MDB_BAD_TXN"
        case MDB_BAD_VALSIZE: "MDB_BAD_VALSIZE"
        case MDB_BAD_DBI: "MDB_BAD_DBI"
        case ENOSPC: "ENOSPC"
        case EACCES: "EACCES"
        case ENOENT: "ENOENT"
        case EROFS: "EROFS"
        case EIO: "EIO"
        case ENOMEM: "ENOMEM"
        case EAGAIN: "EAGAIN"
        case EINVAL: "EINVAL"
        default: "error \(code)"
        }
    }

    /// LMDB's own message for the code (`mdb_strerror`), which covers `errno` values too.
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String { "\(name): \(message)" }

    /// True for errors that mean the disk (not the map) is full.
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }
}

/// Converts a C return code (an `MDB_*` code, or an `errno` value after a failed system call)
/// into a thrown `LMDBError`: the one place that does so, used by every call of the wrapper.
@inline(__always)
func check(_ rc: Int32) throws(LMDBError) {
    if rc != 0 { throw LMDBError(code: rc) }
}
