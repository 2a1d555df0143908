import CampaignLedger
import Foundation
import Glibc

// The functions of include/campaign_ledger.h. Each answers the same JSON document as the
// `ledger` command's --json and `ledger serve` (the library's answer functions), returns a
// status code, and keeps the message of a failure for `ledger_errmsg`. See that header for the
// contract of each; docs/embedding.md for examples.

public typealias CString = UnsafePointer<CChar>?
public typealias Out = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

nonisolated(unsafe) private let versionText: UnsafeMutablePointer<CChar> = strdup(Ledger.version)!

@c(ledger_version)
public func ledgerVersion() -> UnsafePointer<CChar>? { UnsafePointer(versionText) }

@c(ledger_free)
public func ledgerFree(_ p: UnsafeMutableRawPointer?) { free(p) }

@c(ledger_errmsg)
public func ledgerErrmsg(_ pointer: OpaquePointer?) -> UnsafeMutablePointer<CChar>? {
    let message = pointer == nil ? handlelessError() : lookUp(pointer)?.error() ?? handlelessError()
    return message.flatMap { strdup($0) }
}

@c(ledger_open)
public func ledgerOpen(_ path: CString, _ options: CString, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    out?.pointee = nil
    do {
        guard let out else { throw CallError.usage("ledger_open: the handle pointer is NULL") }
        let path = try text(path, "path")
        guard !path.isEmpty else { throw CallError.usage("ledger_open: the path is empty") }
        let options = try Options(options, call: "ledger_open", known: ["create", "catchUp", "mapSize", "logLevel"])
        let ledger = try Ledger(configuration(path: path, options: options))
        out.pointee = register(Handle(ledger))
        return Status.ok.rawValue
    } catch {
        let (status, message) = classify(error)
        setHandlelessError(message)
        return status.rawValue
    }
}

@c(ledger_close)
public func ledgerClose(_ pointer: OpaquePointer?) -> Int32 {
    guard unregister(pointer) != nil else {
        setHandlelessError(pointer == nil ? "the ledger handle is NULL" : "not an open ledger handle (closed already?)")
        return Status.usage.rawValue
    }
    return Status.ok.rawValue
}

// MARK: Appending

@c(ledger_append)
public func ledgerAppend(_ pointer: OpaquePointer?, _ data: UnsafeRawPointer?, _ length: Int, _ out: Out) -> Int32 {
    call(pointer, out) { ledger in
        let body = try EventBody(bytes(data, length, "the batch"))
        guard !body.events.isEmpty else { return Answer(json: .object([("outcomes", .array([]))])) }
        do {
            let outcomes = try ledger.appendAndWait(body.events, expecting: body.expectations)
            return Answer(json: AppendOutcome.document(outcomes))
        } catch {
            throw body.locate(error)
        }
    }
}

@c(ledger_import_file)
public func ledgerImportFile(_ pointer: OpaquePointer?, _ path: CString, _ options: CString, _ out: Out) -> Int32 {
    call(pointer, out) { ledger in
        let path = try text(path, "path")
        let options = try Options(options, call: "ledger_import_file", known: ["dryRun", "skipInvalid", "restore", "batchSize"])
        var importOptions = ImportOptions(
            dryRun: try options.bool("dryRun", false), skipInvalid: try options.bool("skipInvalid", false),
            restore: try options.bool("restore", false))
        importOptions.batchSize = try options.int("batchSize", in: 1...100_000) ?? importOptions.batchSize
        guard let data = importFileBytes(path) else {
            throw LedgerError.notFound("cannot read \(path): no such file or not readable")
        }
        let summary = try ledger.importLines(data, options: importOptions)
        if let stop = summary.stoppedAt {
            throw CallError.badInput("\(path):\(stop.line): \(stop.summary); stopped: another writer made it invalid, the batches before it are committed")
        }
        if let first = summary.rejected.first, !importOptions.skipInvalid {
            let more = summary.rejected.count > 1 ? " (and \(summary.rejected.count - 1) more bad lines)" : ""
            throw CallError.badInput("\(path):\(first.line): \(first.summary)\(more); nothing appended")
        }
        return Answer(json: .object([
            ("file", .string(path)), ("lines", .int(Int64(summary.lines))),
            ("appended", .int(Int64(summary.appended))), ("duplicates", .int(Int64(summary.duplicates))),
            ("rejected", .int(Int64(summary.rejected.count))), ("dryRun", .bool(importOptions.dryRun)),
            ("seconds", .double(summary.seconds)), ("eventsPerSecond", .int(Int64(summary.eventsPerSecond.rounded()))),
            ("rejects", .array(summary.rejected.map { .object([("line", .int(Int64($0.line))), ("error", .string($0.summary))]) })),
        ]))
    }
}

// MARK: Queries (interchange.md §3)

@c(ledger_campaign)
public func ledgerCampaign(_ pointer: OpaquePointer?, _ campaign: CString, _ asOf: CString, _ before: CString, _ out: Out) -> Int32 {
    call(pointer, out) { ledger in
        Answer(json: try ledger.campaignJSON(try text(campaign, "campaign"), filter: try timeFilter(asOf, before)))
    }
}

@c(ledger_campaigns)
public func ledgerCampaigns(_ pointer: OpaquePointer?, _ asOf: CString, _ before: CString, _ out: Out) -> Int32 {
    call(pointer, out) { ledger in Answer(json: try ledger.campaignListJSON(filter: try timeFilter(asOf, before))) }
}

@c(ledger_contact)
public func ledgerContact(
    _ pointer: OpaquePointer?, _ campaign: CString, _ contact: CString, _ asOf: CString, _ before: CString, _ out: Out
) -> Int32 {
    call(pointer, out) { ledger in
        Answer(json: try ledger.contactJSON(
            campaign: try text(campaign, "campaign"), contact: try text(contact, "contact"),
            filter: try timeFilter(asOf, before)))
    }
}

@c(ledger_contacts)
public func ledgerContacts(
    _ pointer: OpaquePointer?, _ campaign: CString, _ state: CString, _ limit: Int64, _ after: CString,
    _ asOf: CString, _ before: CString, _ out: Out
) -> Int32 {
    call(pointer, out) { ledger in
        let stateName = try optionalText(state, "state")
        let state = stateName.flatMap(ContactState.init(rawValue:))
        if let stateName, state == nil {
            throw CallError.usage("unknown state \(stateName); states are: \(ContactState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard limit >= 0 else { throw CallError.usage("limit must be 0 (no limit) or more") }
        return Answer(json: try ledger.contactListJSON(
            campaign: try text(campaign, "campaign"), state: state, limit: limit == 0 ? nil : Int(limit),
            after: try optionalText(after, "after"), filter: try timeFilter(asOf, before)))
    }
}

@c(ledger_metrics)
public func ledgerMetrics(_ pointer: OpaquePointer?, _ campaign: CString, _ asOf: CString, _ before: CString, _ out: Out) -> Int32 {
    call(pointer, out) { ledger in
        Answer(json: try ledger.metricsJSON(campaign: try optionalText(campaign, "campaign"), filter: try timeFilter(asOf, before)))
    }
}

@c(ledger_history)
public func ledgerHistory(
    _ pointer: OpaquePointer?, _ campaign: CString, _ contact: CString, _ asOf: CString, _ before: CString, _ out: Out
) -> Int32 {
    call(pointer, out) { ledger in
        Answer(json: try ledger.historyJSON(
            campaign: try text(campaign, "campaign"), contact: try optionalText(contact, "contact"),
            filter: try timeFilter(asOf, before)))
    }
}

@c(ledger_head)
public func ledgerHead(_ pointer: OpaquePointer?, _ asOf: CString, _ before: CString, _ out: Out) -> Int32 {
    call(pointer, out) { ledger in Answer(json: try ledger.head(filter: try timeFilter(asOf, before)).json) }
}

/// The most events one `ledger_events` call returns (as `GET /v1/events`).
private let maxEvents: Int64 = 10_000

@c(ledger_events)
public func ledgerEvents(
    _ pointer: OpaquePointer?, _ after: UInt64, _ limit: Int64, _ asOf: CString, _ before: CString, _ out: Out
) -> Int32 {
    call(pointer, out) { ledger in
        guard (1...maxEvents).contains(limit) else { throw CallError.usage("limit must be 1 to \(maxEvents)") }
        let filter = try timeFilter(asOf, before)
        var lines: [String] = []
        guard after < UInt64.max else { return Answer(json: .array([])) }
        var next = after + 1
        // Unfiltered, one read; filtered, chunks until `limit` events pass or the log ends.
        let chunkSize = filter == nil ? Int(limit) : Int(maxEvents)
        scan: while true {
            let chunk = try ledger.events(from: next, limit: chunkSize)
            for r in chunk where filter?.admits(r) ?? true {
                lines.append(ExportLine.exportJSON(r))
                if lines.count == limit { break scan }
            }
            guard let last = chunk.last, chunk.count == chunkSize, filter != nil else { break }
            next = last.position + 1
        }
        return Answer(json: .raw("[" + lines.joined(separator: ",") + "]"))
    }
}

// MARK: Maintenance

@c(ledger_verify)
public func ledgerVerify(_ pointer: OpaquePointer?, _ out: Out) -> Int32 {
    call(pointer, out) { ledger in
        let report = try ledger.verify()
        return Answer(json: report.json, status: report.isOK ? .ok : .checkFailed)
    }
}

@c(ledger_rebuild)
public func ledgerRebuild(_ pointer: OpaquePointer?, _ options: CString, _ out: Out) -> Int32 {
    call(pointer, out) { ledger in
        let options = try Options(options, call: "ledger_rebuild", known: ["activate", "verify", "threads"])
        let summary = try ledger.rebuild(
            activate: try options.bool("activate", true), verify: try options.bool("verify", false),
            threads: try options.int("threads", in: 1...64))
        return Answer(json: summary.json, status: summary.fingerprintMatches == false ? .checkFailed : .ok)
    }
}

// MARK: Erasure (docs/erasure.md)

@c(ledger_forget)
public func ledgerForget(_ pointer: OpaquePointer?, _ request: CString, _ out: Out) -> Int32 {
    call(pointer, out) { ledger in
        Answer(json: try ledger.forget(ForgetRequest(json: Array(try text(request, "request").utf8))).json)
    }
}

// MARK: Provider callbacks (docs/callbacks.md)

@c(ledger_callback)
public func ledgerCallback(
    _ pointer: OpaquePointer?, _ provider: CString, _ headers: CString, _ body: UnsafeRawPointer?, _ length: Int,
    _ url: CString, _ settings: CString, _ unauthenticated: Int32, _ out: Out
) -> Int32 {
    call(pointer, out) { ledger in
        let name = try text(provider, "provider")
        guard let provider = CallbackProvider(rawValue: name) else {
            throw CallError.usage("no provider \(name): callbacks are taken from \(CallbackProvider.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let request = CallbackRequest(
            headers: try headerList(try optionalText(headers, "headers")), body: try bytes(body, length, "the body"),
            url: try optionalText(url, "url") ?? "/v1/callbacks/\(provider.rawValue)")
        let statuses: [ProviderStatus]
        if unauthenticated != 0 {
            statuses = try ProviderCallbacks.unauthenticatedStatuses(provider: provider, request: request)
        } else {
            guard let settings = try optionalText(settings, "settings") else {
                throw CallError.usage("give the providers settings JSON (as for `ledger serve --providers`), or pass unauthenticated = 1 for a trusted capture")
            }
            statuses = try ProviderCallbacks.statuses(
                provider: provider, request: request, settings: CallbackSettings.parse(Data(settings.utf8)))
        }
        let outcomes = try ledger.receiveAndWait(statuses)
        return Answer(json: .object([("outcomes", .array(outcomes.map(\.json)))]))
    }
}

/// Request headers given as a JSON object `{"Name": "value"}` or an array of `[name, value]`.
private func headerList(_ text: String?) throws(CallError) -> [(name: String, value: String)] {
    guard let text, !text.allSatisfy(\.isWhitespace) else { return [] }
    let usage = "headers are a JSON object {\"Name\": \"value\", …} or an array [[\"Name\", \"value\"], …]"
    guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { throw .badInput(usage) }
    if let object = value as? [String: Any] {
        return try object.map { name, value throws(CallError) in
            guard let value = value as? String else { throw .badInput(usage) }
            return (name: name, value: value)
        }
    }
    guard let pairs = value as? [Any] else { throw .badInput(usage) }
    return try pairs.map { pair throws(CallError) in
        guard let pair = pair as? [Any], pair.count == 2, let name = pair[0] as? String, let value = pair[1] as? String else {
            throw .badInput(usage)
        }
        return (name: name, value: value)
    }
}
