import CampaignLedger
import Glibc

/// The status codes of `campaign_ledger.h`: the `ledger` command's exit statuses
/// (interchange.md §4) where it has one, plus a version conflict and a failed callback
/// signature, which the command folds into 65.
enum Status: Int32 {
    case ok = 0
    case checkFailed = 1
    case notFound = 2
    case usage = 64
    case badInput = 65
    case unavailable = 69
    case `internal` = 70
    case conflict = 75
    case unauthenticated = 77
}

/// A failure of the C layer itself (a null argument, text that is not UTF-8, bad options).
struct CallError: Error {
    var status: Status
    var message: String

    static func usage(_ message: String) -> CallError { CallError(status: .usage, message: message) }
    static func badInput(_ message: String) -> CallError { CallError(status: .badInput, message: message) }
}

/// The status and one-line message of an error thrown by the library or this layer.
func classify(_ error: any Error) -> (Status, String) {
    switch error {
    case let e as CallError:
        return (e.status, e.message)
    case let e as LedgerError:
        if case .versionConflict = e { return (.conflict, e.description) }
        return (Status(rawValue: e.exitCode) ?? .internal, e.description)
    case let e as CallbackError:
        switch e {
        case .notConfigured: return (.notFound, e.description)
        case .unauthenticated: return (.unauthenticated, e.description)
        case .malformed: return (.badInput, e.description)
        }
    case let e as CallbackSettings.LoadError:
        return (.usage, "providers settings: \(e.message)")
    case let e as InputError:
        return (.badInput, e.description)
    default:
        return (.internal, "internal error: \(error)")
    }
}

/// The answer a call gives back through its `char **out`: JSON text, and the status to return
/// with it (`checkFailed` for a verify that found problems).
struct Answer {
    var json: JSONOutput
    var status: Status = .ok
}

/// Runs one call on a handle: refuses a null or unknown handle, clears `*out`, turns any error
/// into its status and keeps its message for `ledger_errmsg`, and copies the answer into memory
/// the caller frees with `ledger_free`.
func call(
    _ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ body: (Ledger) throws -> Answer
) -> Int32 {
    out?.pointee = nil
    guard let handle = lookUp(pointer) else {
        setHandlelessError(pointer == nil ? "the ledger handle is NULL" : "not an open ledger handle (closed already?)")
        return Status.usage.rawValue
    }
    guard let out else {
        handle.setError("the output pointer is NULL")
        return Status.usage.rawValue
    }
    do {
        let answer = try body(handle.ledger)
        guard let text = strdup(answer.json.serialized()) else {
            handle.setError("out of memory for the answer")
            return Status.internal.rawValue
        }
        out.pointee = text
        return answer.status.rawValue
    } catch {
        let (status, message) = classify(error)
        handle.setError(message)
        return status.rawValue
    }
}

// MARK: Arguments

/// A required C string argument as Swift text.
func text(_ p: UnsafePointer<CChar>?, _ name: String) throws(CallError) -> String {
    guard let p else { throw .usage("\(name) is NULL") }
    guard let s = String(validatingCString: p) else { throw .badInput("\(name) is not UTF-8") }
    return s
}

/// An optional C string argument (NULL means absent).
func optionalText(_ p: UnsafePointer<CChar>?, _ name: String) throws(CallError) -> String? {
    guard let p else { return nil }
    return try text(p, name)
}

/// `as_of` / `occurred_before` (RFC 3339, at most one of them) as a filter.
func timeFilter(_ asOf: UnsafePointer<CChar>?, _ occurredBefore: UnsafePointer<CChar>?) throws(CallError) -> TimeFilter? {
    let asOf = try optionalText(asOf, "as_of")
    let before = try optionalText(occurredBefore, "occurred_before")
    if asOf != nil && before != nil { throw .usage("give as_of or occurred_before, not both") }
    if let asOf {
        guard let t = try? RFC3339.parseNanos(asOf) else {
            throw .usage("as_of \(asOf): not an RFC 3339 time like 2026-11-20T09:30:02Z")
        }
        return .asOf(nanos: t)
    }
    if let before {
        guard let t = try? RFC3339.parseNanos(before) else {
            throw .usage("occurred_before \(before): not an RFC 3339 time like 2026-11-20T09:30:02Z")
        }
        return .occurredBefore(nanos: t)
    }
    return nil
}

/// `len` bytes at `p` (NULL with length 0 is empty).
func bytes(_ p: UnsafeRawPointer?, _ count: Int, _ name: String) throws(CallError) -> [UInt8] {
    guard count >= 0 else { throw .usage("\(name) has a negative length") }
    guard count > 0 else { return [] }
    guard let p else { throw .usage("\(name) is NULL") }
    return Array(UnsafeRawBufferPointer(start: p, count: count))
}
