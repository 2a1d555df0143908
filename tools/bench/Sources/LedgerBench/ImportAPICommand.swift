import ArgumentParser
import CampaignLedger
import Foundation

/// The trace through the library API, without JSON: the events are parsed before the clock
/// starts, then appended with `appendAndWait` in requests of `--batch` events, one durable
/// transaction each (what `ledger import` does after parsing).
struct ImportAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-api", abstract: "Append a trace's events through the library API (no JSON) into a new store.")

    @OptionGroup var files: TraceAndStore
    @Option(help: "Events per append request (one transaction).") var batch = 10_000

    func run() throws {
        let events = try Trace(path: files.trace).events
        let ledger = try openLedger(files.store)
        let start = now()
        var appended = 0
        var index = 0
        while index < events.count {
            let end = min(index + batch, events.count)
            appended += try ledger.appendAndWait(Array(events[index..<end])).count
            index = end
        }
        let seconds = now() - start
        emit("import_api_eps", Double(appended) / seconds)
    }
}
