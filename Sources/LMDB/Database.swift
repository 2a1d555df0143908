internal import CLMDB

/// A named database inside an environment (LMDB's `MDB_dbi`), opened once with
/// `Environment.openDatabases`. Keys sort by their bytes (memcmp), so integer keys are written
/// big-endian to sort numerically.
public struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
    /// The name it was opened with.
    public let name: String
}

/// Flags for `Transaction.put`.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Fail with `.keyExists` instead of overwriting. The corresponding C constant is `MDB_NOOVERWRITE`.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every existing key (fast bulk load); `.keyExists` otherwise.
    /// The corresponding C constant is `MDB_APPEND`.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    /// In a database with sorted duplicates: the value sorts after every value of its key.
    /// The corresponding C constant is `MDB_APPENDDUP`.
    public static let appendDuplicate = PutFlags(rawValue: UInt32(MDB_APPENDDUP))
    /// In a database with sorted duplicates: fail with `.keyExists` when the key already holds
    /// this value. The corresponding C constant is `MDB_NODUPDATA`.
    public static let noDuplicateValue = PutFlags(rawValue: UInt32(MDB_NODUPDATA))
}

/// How a named database keeps its values, fixed when it is created.
public enum DatabaseKind: Sendable, Hashable {
    /// One value per key.
    case plain
    /// Each key holds a sorted set of values of one fixed size (`MDB_DUPSORT | MDB_DUPFIXED`),
    /// stored packed: a list of positions under one key costs a few bytes per entry.
    case sortedFixedSizeDuplicates

    var flags: UInt32 {
        switch self {
        case .plain: 0
        case .sortedFixedSizeDuplicates: UInt32(MDB_DUPSORT | MDB_DUPFIXED)
        }
    }
}

/// Statistics of one database (`mdb_stat`).
public struct DatabaseStatistics: Sendable, Hashable {
    public var entries: Int
    public var depth: Int
    public var branchPages: Int
    public var leafPages: Int
    public var overflowPages: Int
    public var pageSize: Int

    /// Pages in use times the page size.
    public var bytes: Int { (branchPages + leafPages + overflowPages) * pageSize }
}
