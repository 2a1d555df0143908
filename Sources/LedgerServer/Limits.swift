import NIOCore

/// Limits of `ledger serve` (http.md §1).
enum Limits {
    /// Request bodies larger than this are refused with 413 and nothing appended.
    static let maxBodyBytes = 32 << 20
    /// Default `limit` of `GET /v1/events`, and its maximum.
    static let defaultEventsLimit = 10_000
    /// Events read per short read transaction by the stream (`GET /v1/events/stream`).
    static let streamChunk = 500
}
