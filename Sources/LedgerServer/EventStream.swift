import CampaignLedger
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// `GET /v1/events/stream`: Server-Sent Events of the log from `after` (or `Last-Event-ID`),
/// then live. Each event is `id: POSITION` and `data: EXPORT LINE`, so a client that reconnects
/// with the last id it saw misses and repeats nothing.
///
/// The log is read in chunks, each in its own short read transaction, and the next chunk is
/// read only after the previous one was handed to the connection (the writer waits while the
/// client is slow): a slow consumer neither pins an old snapshot (which would keep LMDB from
/// reusing pages, so the file would grow) nor makes the server buffer without bound.
struct EventStream: Sendable {
    let ledger: Ledger
    let notifier: AppendNotifier
    /// Appends by other processes are noticed by re-reading the log this often when idle.
    static let poll = Duration.milliseconds(250)
    /// A comment line this often when idle, so proxies keep the connection and a client that
    /// went away is noticed.
    static let heartbeat = Duration.seconds(10)

    func response(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let start = try QueryParameters(request.uri).streamStart(lastEventID: request.headers[.lastEventID])
        let ledger = ledger
        let notifier = notifier
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: .init { writer in
                let stopping = Mutex(false)
                try await withGracefulShutdownHandler {
                    var next = start + 1
                    var lastWrite = ContinuousClock.now
                    try await writer.write(ByteBuffer(string: ": events after \(start)\n\n"))
                    while !stopping.withLock({ $0 }) && !Task.isCancelled {
                        let from = next
                        let chunk = try await NIOThreadPool.singleton.runIfActive {
                            try ledger.events(from: from, limit: Limits.streamChunk)
                        }
                        if let last = chunk.last {
                            var buffer = ByteBuffer()
                            for r in chunk {
                                buffer.writeString("id: \(r.position)\ndata: ")
                                buffer.writeString(ExportLine.exportJSON(r))
                                buffer.writeString("\n\n")
                            }
                            try await writer.write(buffer)
                            next = last.position + 1
                            lastWrite = .now
                            if chunk.count == Limits.streamChunk { continue }
                        }
                        if ContinuousClock.now - lastWrite >= Self.heartbeat {
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            lastWrite = .now
                        }
                        await notifier.wait(upTo: Self.poll)
                    }
                    try await writer.finish(nil)
                } onGracefulShutdown: {
                    stopping.withLock { $0 = true }
                    notifier.notify()
                }
            })
    }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
