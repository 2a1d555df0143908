import ArgumentParser
import CampaignLedger
import Foundation

/// Turns the collected `metric<TAB>value` lines of every round into the table of medians,
/// min–max and ratios against the baselines of the same run, and optionally a JSON document.
/// A ratio of two figures measured once per round is the median of the per-round ratios (each
/// round's pair ran minutes apart under the same load); otherwise the ratio of the medians.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Print the table of medians, min–max and ratios (ours / baseline).")

    @Option(help: "The collected results (metric<TAB>value lines).") var results: String
    @Option(help: "Also write the figures and ratios as JSON to this file.") var json: String?
    @Option(help: "KEY=VALUE facts about the run (machine, trace), repeatable.") var note: [String] = []

    func run() throws {
        var values: [String: [Double]] = [:]
        for line in try String(contentsOfFile: results, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "\t")
            guard parts.count == 2, let v = Double(parts[1]), v.isFinite else { continue }
            values[String(parts[0]), default: []].append(v)
        }
        let stats = values.mapValues(Stat.init)
        var out = ""
        for (key, value) in note.compactMap(Self.split) { out += "\(key): \(value)\n" }
        out += "\n" + pad("figure", 66) + pad("median", 14, right: true) + pad("min – max", 26, right: true) + "  n\n"
        for figure in Figure.all {
            guard let s = stats[figure.metric] else { continue }
            out += pad("\(figure.label) (\(figure.unit))", 66) + pad(format(s.median), 14, right: true)
                + pad("\(format(s.min)) – \(format(s.max))", 26, right: true) + "  \(s.count)\n"
        }
        out += "\n" + pad("ratio (ours / baseline; median of per-round ratios)", 70) + pad("value", 10, right: true) + "  target\n"
        var ratios: [[String: Any]] = []
        for target in Target.all {
            guard let ours = stats[target.ours] else { continue }
            var value = ours.median
            var range = ""
            if let baseline = target.baseline {
                guard let base = stats[baseline], base.median != 0 else { continue }
                value = ours.median / base.median
                // Measured in every round: pair them, so a round's load hits both sides alike.
                if ours.count == base.count, ours.count > 1 {
                    let paired = Stat(zip(ours.values, base.values).map { $0 / $1 })
                    value = paired.median
                    range = String(format: "  (rounds %.3g – %.3g)", paired.min, paired.max)
                }
            }
            var verdict = "reported"
            if let t = target.atLeast { verdict = "≥ \(format(t)): " + (value >= t ? "met" : "MISSED") }
            if let t = target.atMost { verdict = "≤ \(format(t)): " + (value <= t ? "met" : "MISSED") }
            let shown = target.baseline == nil ? format(value) : String(format: value < 0.1 ? "%.3f" : "%.2f", value)
            out += pad(target.label, 70) + pad(shown, 10, right: true) + "  \(verdict)\(range)\n"
            ratios.append([
                "label": target.label, "ours": target.ours, "baseline": target.baseline ?? "", "value": value,
                "verdict": verdict,
            ])
        }
        print(out, terminator: "")
        if let json {
            var figures: [String: Any] = [:]
            for (name, s) in stats {
                let f = Figure.all.first { $0.metric == name }
                figures[name] = [
                    "label": f?.label ?? name, "unit": f?.unit ?? "", "median": s.median, "min": s.min, "max": s.max,
                    "rounds": s.count, "values": s.values,
                ]
            }
            var notes: [String: String] = [:]
            for (k, v) in note.compactMap(Self.split) { notes[k] = v }
            let doc: [String: Any] = ["notes": notes, "figures": figures, "targets": ratios]
            let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }

    static func split(_ note: String) -> (String, String)? {
        guard let eq = note.firstIndex(of: "=") else { return nil }
        return (String(note[..<eq]), String(note[note.index(after: eq)...]))
    }
}

/// Median, min and max of one figure over the rounds.
struct Stat {
    var values: [Double]
    var median: Double
    var min: Double
    var max: Double
    var count: Int { values.count }

    init(_ values: [Double]) {
        self.values = values
        let s = values.sorted()
        median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        min = s.first ?? .nan
        max = s.last ?? .nan
    }
}

/// Compact numbers: 1.23 M, 456 k, 12.3.
func format(_ v: Double) -> String {
    let a = abs(v)
    if a >= 1e6 { return String(format: "%.2f M", v / 1e6) }
    if a >= 1e4 { return String(format: "%.0f k", v / 1e3) }
    if a >= 100 { return String(format: "%.0f", v) }
    if a >= 10 { return String(format: "%.1f", v) }
    return String(format: "%.2f", v)
}

func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let n = s.count
    guard n < width else { return s + " " }
    let space = String(repeating: " ", count: width - n)
    return right ? space + s : s + space
}

/// One figure of the table, in the order printed.
struct Figure {
    var metric: String
    var label: String
    var unit: String

    static let all: [Figure] = [
        Figure(metric: "trace_events", label: "trace: events", unit: "events"),
        Figure(metric: "trace_campaigns", label: "trace: campaigns", unit: "campaigns"),
        Figure(metric: "trace_contacts", label: "trace: contacts", unit: "contacts"),
        Figure(metric: "import_cli_eps", label: "ledger import (CLI, wall clock incl. start)", unit: "events/s"),
        Figure(metric: "import_cli_reported_eps", label: "ledger import (as the summary reports it)", unit: "events/s"),
        Figure(metric: "import_api_eps", label: "library API import, no JSON (appendAndWait, 10 k)", unit: "events/s"),
        Figure(metric: "rebuild_eps", label: "rebuild in process", unit: "events/s"),
        Figure(metric: "rebuild_heap_mb", label: "rebuild peak heap (RssAnon) growth, trace", unit: "MiB"),
        Figure(metric: "rebuild_heap_mb_more_events", label: "rebuild peak heap (RssAnon) growth, + late reports", unit: "MiB"),
        Figure(metric: "rebuild_events_more_events", label: "events in trace + late reports", unit: "events"),
        Figure(metric: "rebuild_cli_eps", label: "ledger rebuild (CLI)", unit: "events/s"),
        Figure(metric: "rebuild_cli_maxrss_mb", label: "ledger rebuild max RSS (incl. mapped store pages)", unit: "MiB"),
        Figure(metric: "rebuild_cli_maxrss_mb_more_events", label: "ledger rebuild max RSS, trace + late reports", unit: "MiB"),
        Figure(metric: "append64_eps", label: "64 tasks × single durable appends", unit: "events/s"),
        Figure(metric: "append64_p50_ms", label: "  latency p50", unit: "ms"),
        Figure(metric: "append64_p99_ms", label: "  latency p99", unit: "ms"),
        Figure(metric: "query_contact_qps", label: "contact point query in process", unit: "queries/s"),
        Figure(metric: "query_campaign_qps", label: "campaign point query in process", unit: "queries/s"),
        Figure(metric: "cli_contact_show_ms", label: "one-shot `ledger contact show` (process)", unit: "ms"),
        Figure(metric: "cli_campaign_show_ms", label: "one-shot `ledger campaign show` (process)", unit: "ms"),
        Figure(metric: "store_bytes_per_event", label: "store data.mdb bytes per event", unit: "B"),
        Figure(metric: "compact_bytes_per_event", label: "compacted backup bytes per event", unit: "B"),
        Figure(metric: "jsonl_bytes_per_event", label: "JSON Lines export bytes per event", unit: "B"),
        Figure(metric: "trace_bytes_per_event", label: "input trace bytes per event", unit: "B"),
        Figure(metric: "c_equiv_eps", label: "C: same records as ours, 10 k-event txns", unit: "events/s"),
        Figure(metric: "c_append_eps", label: "C: MDB_APPEND 200 B, 10 k txns", unit: "events/s"),
        Figure(metric: "c_append_rmw_eps", label: "C: append + per-contact read-modify-write", unit: "events/s"),
        Figure(metric: "c_scan_eps", label: "C: full cursor scan of our events (warm)", unit: "events/s"),
        Figure(metric: "c_fsync_eps", label: "C: one fsynced transaction per event", unit: "events/s"),
        Figure(metric: "trace_events_contacts_heavy", label: "contacts-heavy trace: events", unit: "events"),
        Figure(metric: "trace_contacts_contacts_heavy", label: "contacts-heavy trace: contacts", unit: "contacts"),
        Figure(metric: "rebuild_eps_contacts_heavy", label: "rebuild in process, contacts-heavy trace", unit: "events/s"),
        Figure(metric: "c_scan_eps_contacts_heavy", label: "C: cursor scan, contacts-heavy store", unit: "events/s"),
        Figure(metric: "rebuild_eps_more_events", label: "rebuild in process, trace + late reports", unit: "events/s"),
        Figure(metric: "c_scan_eps_more_events", label: "C: cursor scan, trace + late reports", unit: "events/s"),
        Figure(metric: "rebuild_eps_cold", label: "rebuild in process from a cold page cache", unit: "events/s"),
        Figure(metric: "c_cold_scan_eps", label: "C: cursor scan from a cold page cache", unit: "events/s"),
        Figure(metric: "rebuild_eps_cold_contacts_heavy", label: "  the same, contacts-heavy trace: rebuild", unit: "events/s"),
        Figure(metric: "c_cold_scan_eps_contacts_heavy", label: "  the same, contacts-heavy trace: C scan", unit: "events/s"),
        Figure(metric: "rebuild_eps_cold_more_events", label: "  the same, trace + late reports: rebuild", unit: "events/s"),
        Figure(metric: "c_cold_scan_eps_more_events", label: "  the same, trace + late reports: C scan", unit: "events/s"),
        Figure(metric: "peer_save_bulk_eps", label: "eventsourcing/SQLite: bulk save, 10 k per txn", unit: "events/s"),
        Figure(metric: "peer_save_single_eps", label: "eventsourcing/SQLite: one command at a time", unit: "events/s"),
        Figure(metric: "peer_replay_eps", label: "eventsourcing/SQLite: replay", unit: "events/s"),
    ]
}

/// A ratio of two figures' medians (or, without a baseline, one figure), with its DESIGN §6
/// target when it has one.
struct Target {
    var label: String
    var ours: String
    var baseline: String?
    var atLeast: Double?
    var atMost: Double?

    static let all: [Target] = [
        Target(label: "ledger import / C writer of the same records", ours: "import_cli_eps", baseline: "c_equiv_eps", atLeast: 0.7),
        Target(label: "ledger import / eventsourcing bulk save", ours: "import_cli_eps", baseline: "peer_save_bulk_eps", atLeast: 2),
        Target(label: "ledger import / C append + update", ours: "import_cli_eps", baseline: "c_append_rmw_eps", atLeast: 0.5),
        Target(label: "ledger import / C plain append", ours: "import_cli_eps", baseline: "c_append_eps"),
        Target(label: "API import / C writer of the same records", ours: "import_api_eps", baseline: "c_equiv_eps"),
        Target(label: "API import / eventsourcing bulk save", ours: "import_api_eps", baseline: "peer_save_bulk_eps"),
        Target(label: "rebuild events/s", ours: "rebuild_eps", atLeast: 1_000_000),
        Target(label: "rebuild / C cursor scan (both warm)", ours: "rebuild_eps", baseline: "c_scan_eps"),
        Target(label: "rebuild / C cursor scan, both cold", ours: "rebuild_eps_cold", baseline: "c_cold_scan_eps", atLeast: 0.5),
        Target(label: "  contacts-heavy trace, both cold", ours: "rebuild_eps_cold_contacts_heavy",
               baseline: "c_cold_scan_eps_contacts_heavy", atLeast: 0.5),
        Target(label: "  trace + late reports, both cold", ours: "rebuild_eps_cold_more_events",
               baseline: "c_cold_scan_eps_more_events", atLeast: 0.5),
        Target(label: "rebuild / eventsourcing replay", ours: "rebuild_eps", baseline: "peer_replay_eps"),
        Target(label: "rebuild heap: trace + late reports / trace (same contacts)", ours: "rebuild_heap_mb_more_events",
               baseline: "rebuild_heap_mb", atMost: 1.25),
        Target(label: "  (events: trace + late reports / trace)", ours: "rebuild_events_more_events", baseline: "trace_events"),
        Target(label: "64-task appends / one fsync per event", ours: "append64_eps", baseline: "c_fsync_eps", atLeast: 10),
        Target(label: "64-task appends / eventsourcing one at a time", ours: "append64_eps", baseline: "peer_save_single_eps"),
        Target(label: "one-shot ledger contact show, ms (well under 50)", ours: "cli_contact_show_ms", atMost: 50),
        Target(label: "store bytes / JSON Lines export bytes", ours: "store_bytes_per_event", baseline: "jsonl_bytes_per_event", atMost: 1),
        Target(label: "compacted backup bytes / JSON Lines export bytes", ours: "compact_bytes_per_event", baseline: "jsonl_bytes_per_event"),
    ]
}
