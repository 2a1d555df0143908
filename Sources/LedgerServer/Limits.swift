import NIOCore

/// Limits of `ledger serve` (http.md §1).
enum Limits {
    /// Request bodies larger than this are refused with 413 and nothing appended.
    static let maxBodyBytes = 32 << 20
    /// Bodies up to this size are parsed on the task that took them; larger ones on NIO's
    /// blocking pool. A single event parses in microseconds, less than the two thread hops of
    /// the pool cost (measured: the hop was about 5 % of the server's CPU for single-event posts).
    static let inlineParseBytes = 16 << 10
    /// Default `limit` of `GET /v1/events`, and its maximum.
    static let defaultEventsLimit = 10_000
    /// Events read per short read transaction by the stream (`GET /v1/events/stream`).
    static let streamChunk = 500
}
