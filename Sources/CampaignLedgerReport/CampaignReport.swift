public import CampaignLedger
import Foundation

/// One self-contained HTML page about a campaign, for a person investigating it (`ledger report`,
/// docs/report.md): the header, the delivery funnel, the cumulative delivery curves, failure
/// reasons, every metric and the states breakdown. No scripts, no network, no external fonts;
/// the charts are inline SVG drawn here.
///
/// Status and metrics come from the campaign's `campaign show` answer; the curves and the reason
/// text of each error code come from the campaign's events up to the position that answer
/// reflects, so the page is one consistent picture.
public struct CampaignReport: Sendable {
    public let campaign: String
    /// The `campaign show` answer the page reflects (interchange.md §3).
    public let answer: JSONOutput
    public let channel: Channel
    /// When the page was made: microseconds since 1970 UTC (the clock of `recordedAt`).
    public let generatedAtMicros: Int64
    /// Cumulative curves: for each contact, the earliest `at` of a qualifying report.
    let curves: [StepSeries]
    /// Where the time axis starts: the `at` of `campaign.started`, else of the first event.
    let curveStart: Int64
    /// Lifecycle events after the start (paused, resumed, finished, canceled), marked on the curve.
    let markers: [TimeMarker]
    /// For each error code, the reason text most often reported with it.
    let codeReasons: [String: String]

    public init(ledger: Ledger, campaign: String) throws {
        let now = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
        try self.init(ledger: ledger, campaign: campaign, generatedAtMicros: now)
    }

    /// A report stamped with a given generation time (for reproducible pages and tests).
    public init(ledger: Ledger, campaign: String, generatedAtMicros: Int64) throws {
        let answer = try ledger.campaignJSON(campaign)
        guard let channel = answer["channel"]?.stringValue.flatMap(Channel.init(rawValue:)) else {
            throw LedgerError.internal("the answer for campaign \(campaign) has no channel")
        }
        let reflected = answer["position"]?.intValue.map { UInt64(max($0, 0)) } ?? UInt64.max
        let events = try ledger.events(campaign: campaign).filter { $0.position <= reflected }
        self.campaign = campaign
        self.answer = answer
        self.channel = channel
        self.generatedAtMicros = generatedAtMicros

        let (early, late): (Set<ContactState>, Set<ContactState>) = channel.family == .messaging
            ? ([.delivered, .read, .responded], [.read, .responded])
            : ([.callInProgress, .acw, .success], [.success])
        var earlyAt: [String: Int64] = [:], lateAt: [String: Int64] = [:]
        var reasonCounts: [String: [String: (count: Int, first: UInt64)]] = [:]
        for r in events where r.event.type == .contactStatus {
            let e = r.event
            guard let contact = e.contact, let status = e.status?.joined else { continue }
            if early.contains(status) { earlyAt[contact] = min(earlyAt[contact] ?? .max, e.atNanos) }
            if late.contains(status) { lateAt[contact] = min(lateAt[contact] ?? .max, e.atNanos) }
            if let code = e.code, let reason = e.reason, !reason.isEmpty {
                let seen = reasonCounts[code, default: [:]][reason]
                reasonCounts[code, default: [:]][reason] = ((seen?.count ?? 0) + 1, seen?.first ?? r.position)
            }
        }
        let names: (String, String) = channel.family == .messaging ? ("delivered", "read") : ("connected", "success")
        curves = [
            StepSeries(key: names.0, label: names.0, times: earlyAt.values.sorted(), tone: channel.family == .messaging ? "reached" : "neutral"),
            StepSeries(key: names.1, label: names.1, times: lateAt.values.sorted(), tone: channel.family == .messaging ? "read" : "reached"),
        ]
        curveStart = events.first { $0.event.type == .campaignStarted }?.event.atNanos
            ?? events.first?.event.atNanos ?? 0
        markers = events.compactMap { r in
            switch r.event.type {
            case .campaignPaused: TimeMarker(nanos: r.event.atNanos, label: "paused")
            case .campaignResumed: TimeMarker(nanos: r.event.atNanos, label: "resumed")
            case .campaignFinished: TimeMarker(nanos: r.event.atNanos, label: "finished")
            case .campaignCanceled: TimeMarker(nanos: r.event.atNanos, label: "canceled")
            default: nil
            }
        }
        // The most reported reason; among equally frequent ones, the first reported.
        codeReasons = reasonCounts.mapValues { reasons in
            reasons.max { a, b in a.value.count != b.value.count ? a.value.count < b.value.count : a.value.first > b.value.first }!.key
        }
    }

    // MARK: The page

    /// The ids of the page's sections, in order.
    public static let sectionIDs = ["funnel", "curve", "failures", "metrics", "states"]

    public func html() -> String {
        let name = answer["name"]?.stringValue
        var page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        page += "<title>Campaign report: \(htmlEscape(campaign))</title>\n"
        page += "<style>\(Self.style)</style>\n</head>\n<body>\n"
        page += header(name: name)
        page += section("funnel", "Delivery funnel", funnel())
        page += section("curve", channel.family == .messaging ? "Delivered and read over time" : "Connected and successful over time", curve())
        page += section("failures", "Failure reasons", failures())
        page += section("metrics", "Metrics", metricsTable())
        page += section("states", "States breakdown", states())
        page += "<footer>Generated by <code>ledger report</code> at \(htmlEscape(generatedText)) from the ledger at position \(htmlEscape(answer["position"]?.text ?? "–")). Chart times are UTC; lifecycle times are shown as the events gave them. This page is self-contained: it loads nothing.</footer>\n"
        page += "</body>\n</html>\n"
        return page
    }

    private var metrics: JSONOutput { answer["metrics"] ?? .null }

    private func count(_ key: String) -> Int64 { metrics[key]?.intValue ?? 0 }

    private var generatedText: String {
        String(RFC3339.formatMicros(generatedAtMicros).prefix(19)) + "Z"
    }

    private func section(_ id: String, _ title: String, _ body: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(htmlEscape(title))</h2>\n\(body)\n</section>\n"
    }

    private func header(name: String?) -> String {
        let status = answer["status"]?.stringValue ?? "unknown"
        var statusText = status
        if let by = answer["endedBy"]?.stringValue { statusText += " (ended by \(by))" }
        if answer["paused"] == .bool(true), status != "paused" { statusText += ", paused" }
        func row(_ label: String, _ value: String, key: String, nowrap: Bool = false) -> String {
            "<div><dt>\(label)</dt><dd\(nowrap ? " class=\"time\"" : "") data-field=\"\(key)\">\(value)</dd></div>"
        }
        func time(_ key: String) -> String { htmlEscape(answer[key]?.stringValue ?? "–") }
        var h = "<header>\n<p class=\"kicker\">Campaign report · \(htmlEscape(channel.rawValue))</p>\n"
        h += "<h1>\(htmlEscape(campaign))</h1>\n"
        if let name { h += "<p class=\"name\">\(htmlEscape(name))</p>\n" }
        h += "<dl class=\"facts\">"
        h += row("Status", "<span class=\"status \(htmlEscape(status))\">\(htmlEscape(statusText))</span>", key: "status")
        h += row("Channel", htmlEscape(channel.rawValue), key: "channel")
        h += row("Contacts", groupedCount(count("contacts")), key: "contacts")
        h += row("Reached", groupedCount(count("reached")), key: "reached")
        h += row("Created", time("createdAt"), key: "createdAt", nowrap: true)
        h += row("Started", time("startedAt"), key: "startedAt", nowrap: true)
        h += row("Ended", time("endedAt"), key: "endedAt", nowrap: true)
        h += row("Ledger position", htmlEscape(answer["position"]?.text ?? "–"), key: "position")
        h += row("Generated", htmlEscape(generatedText), key: "generatedAt", nowrap: true)
        h += "</dl>\n</header>\n"
        return h
    }

    private func funnel() -> String {
        let steps: [(key: String, tone: String)] = channel.family == .messaging
            ? [("sent", "neutral"), ("delivered", "reached"), ("read", "read"), ("responded", "responded")]
            : [("dialed", "neutral"), ("connected", "reached"), ("success", "responded")]
        let base = count(steps[0].key)
        let bars = steps.enumerated().map { i, step in
            ChartBar(
                key: step.key, label: step.key, count: count(step.key),
                note: i == 0 ? (base > 0 ? "100 %" : nil)
                    : base > 0 ? "\(percentText(Double(count(step.key)) / Double(base))) of \(steps[0].key)" : "– of \(steps[0].key)",
                tone: step.tone)
        }
        let explain = channel.family == .messaging
            ? "Contacts that were ever sent a message (a sent, delivered, read, responded or delivery_failed report), then those whose state is delivered or further, read or further, and responded. Percentages are of sent."
            : "Contacts ever dialed (calling or later), ever connected (call_in_progress, acw or success), and in state success. Percentages are of dialed."
        return "<p class=\"explain\">\(explain)</p>\n" + SVGChart.horizontalBars(bars, title: "Delivery funnel")
    }

    private func curve() -> String {
        let noun = channel.family == .messaging ? "delivery receipts" : "connected calls"
        guard curves.contains(where: { !$0.times.isEmpty }) else {
            return "<p class=\"empty\">No \(noun) yet: nothing to draw.</p>"
        }
        let explain = channel.family == .messaging
            ? "For each contact, the earliest provider time (<code>at</code>) of a delivered, read or responded report (delivered), and of a read or responded report (read); the lines count contacts reached by each instant. The axis starts when the campaign started; dashed lines mark when it was paused, resumed, finished or canceled (receipts can arrive after the end)."
            : "For each contact, the earliest provider time (<code>at</code>) of a call_in_progress, acw or success report (connected), and of a success report (success); the lines count contacts by each instant. The axis starts when the campaign started; dashed lines mark when it was paused, resumed, finished or canceled."
        var legend = "<ul class=\"legend\">"
        for line in curves {
            let last = line.times.last.map { " — last at " + String(SVGChart.utcText($0).prefix(19)) + "Z" } ?? ""
            legend += "<li><span class=\"swatch \(line.tone)\"></span>\(htmlEscape(line.label)): \(groupedCount(Int64(line.times.count))) contacts\(last)</li>"
        }
        legend += "</ul>"
        return "<p class=\"explain\">\(explain)</p>\n" + legend + "\n"
            + SVGChart.stepChart(curves, start: curveStart, markers: markers, title: "Cumulative \(noun) over time")
    }

    private func failures() -> String {
        let failures = (metrics["failures"]?.members ?? []).compactMap { key, value in
            value.intValue.map { (key, $0) }
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        guard !failures.isEmpty else { return "<p class=\"empty\">No contact is in a failure state.</p>" }
        let total = failures.reduce(0) { $0 + $1.1 }
        var s = "<p class=\"explain\">Contacts whose current state is a failure, by state (\(groupedCount(total)) in all; percentages of all contacts).</p>\n"
        let contacts = count("contacts")
        s += SVGChart.horizontalBars(failures.map { key, n in
            ChartBar(key: key, label: key, count: n,
                     note: contacts > 0 ? percentText(Double(n) / Double(contacts)) + " of contacts" : nil,
                     tone: "failure")
        }, title: "Failures by state")
        let codes = (metrics["errorCodes"]?.members ?? []).compactMap { key, value in
            value.intValue.map { (key, $0) }
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        s += "\n<h3>Error codes</h3>\n"
        guard !codes.isEmpty else {
            return s + "<p class=\"empty\">No failed contact's explaining report carries an error code.</p>"
        }
        s += "<p class=\"explain\">The code of the report that explains each failed contact; the reason is the text most often reported with that code in this campaign.</p>\n"
        s += "<table class=\"codes\"><thead><tr><th>Code</th><th class=\"num\">Contacts</th><th>Most frequent reason</th></tr></thead><tbody>"
        for (code, n) in codes {
            s += "<tr data-code=\"\(htmlEscape(code))\"><td><code>\(htmlEscape(code))</code></td><td class=\"num\">\(groupedCount(n))</td><td>\(htmlEscape(codeReasons[code] ?? "–"))</td></tr>"
        }
        return s + "</tbody></table>"
    }

    private static let metricNotes: [String: String] = [
        "contacts": "contacts in the campaign, removed and invalid ones too",
        "reached": "state delivered, read or responded (telephone: success)",
        "failed": "state of class failure",
        "excluded": "canceled by admin, blacklisted or removed",
        "invalid": "invalid address (invalid_record)",
        "sent": "ever sent, delivered, read, responded or delivery_failed",
        "delivered": "state delivered, read or responded",
        "read": "state read or responded",
        "responded": "state responded",
        "deliveryRate": "delivered / sent",
        "readRate": "read / delivered",
        "responseRate": "responded / delivered",
        "dialed": "ever calling, call_in_progress, acw, success, canceled_by_client or unreachable",
        "connected": "ever call_in_progress, acw or success",
        "success": "state success",
        "abandoned": "ever canceled_by_client",
        "contactRate": "connected / dialed",
        "successRate": "success / dialed",
        "abandonRate": "abandoned / (connected + abandoned)",
        "attempts": "sum of each contact's highest dispatch attempt",
        "retries": "sum of each contact's attempts beyond the first",
        "timeToDeliver": "first delivered/read/responded at − first sent at, per contact",
        "timeToRead": "first read at − first sent at, per contact",
    ]

    private func metricsTable() -> String {
        var s = "<table class=\"metrics\"><thead><tr><th>Metric</th><th class=\"num\">Value</th><th>Meaning</th></tr></thead><tbody>"
        for (key, value) in metrics.members ?? [] where !["states", "failures", "errorCodes"].contains(key) {
            let text: String
            switch value {
            case .object:
                let n = value["count"]?.intValue ?? 0
                if n == 0 {
                    text = "–"
                } else {
                    let parts = ["p50", "p95", "max"].map { p in
                        "\(p) " + (value[p]?.doubleValue.map(durationText) ?? "–")
                    }
                    text = parts.joined(separator: " · ") + " (n = \(groupedCount(n)))"
                }
            case _ where key.hasSuffix("Rate"):
                text = percentText(value.doubleValue)
            case .int(let n):
                text = groupedCount(n)
            default:
                text = value.text
            }
            s += "<tr data-metric=\"\(htmlEscape(key))\"><td><code>\(htmlEscape(key))</code></td><td class=\"num\">\(htmlEscape(text))</td><td class=\"note\">\(htmlEscape(Self.metricNotes[key] ?? ""))</td></tr>"
        }
        return s + "</tbody></table>"
    }

    private func states() -> String {
        let counts = Dictionary((metrics["states"]?.members ?? []).compactMap { key, value in
            value.intValue.map { (key, $0) }
        }, uniquingKeysWith: +)
        guard !counts.isEmpty else { return "<p class=\"empty\">The campaign has no contacts.</p>" }
        let contacts = max(count("contacts"), 1)
                // Grouped by class (reached, failure, pending, excluded, invalid), spec order inside a class.
        let classOrder: [StateClass] = [.reached, .failure, .pending, .excluded, .invalid]
        let known = classOrder.flatMap { wanted in
            ContactState.allCases.filter { $0 != .successfullySubmitted && channel.family.info($0)?.stateClass == wanted }
        }
        let order = known.map(\.rawValue) + counts.keys.filter { ContactState(rawValue: $0) == nil }.sorted()
        let largest = Double(max(counts.values.max() ?? 1, 1))
        var s = "<table class=\"states\"><thead><tr><th>State</th><th>Class</th><th class=\"num\">Contacts</th><th class=\"num\">Share</th><th class=\"barcell\"></th></tr></thead><tbody>"
        for state in order {
            guard let n = counts[state], n > 0 else { continue }
            let stateClass = ContactState(rawValue: state).flatMap { channel.family.info($0)?.stateClass.rawValue } ?? "–"
            let share = Double(n) / Double(contacts)
            s += "<tr data-state=\"\(htmlEscape(state))\" data-count=\"\(n)\"><td><code>\(htmlEscape(state))</code></td><td><span class=\"class \(stateClass)\">\(stateClass)</span></td><td class=\"num\">\(groupedCount(n))</td><td class=\"num\">\(percentText(share))</td>"
            s += "<td class=\"barcell\"><span class=\"minibar \(stateClass)\" style=\"width:\(String(format: "%.1f", Double(n) / largest * 100))%\"></span></td></tr>"
        }
        return s + "</tbody></table>"
    }

    private static let style = """
        :root{--ink:#1f2430;--muted:#5b6475;--line:#d9dde5;--track:#eef0f4;--neutral:#5b7bb4;--reached:#2e8b57;\
        --read:#7a55b3;--responded:#c07a12;--failure:#c0392b;--pending:#8a94a6;--excluded:#a07c4f;--invalid:#6d6d6d}
        *{box-sizing:border-box}
        body{margin:0 auto;max-width:1100px;padding:24px 32px 48px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#fff}
        h1{font-size:28px;margin:2px 0 2px;word-break:break-all}
        h2{font-size:19px;margin:0 0 8px;padding-bottom:6px;border-bottom:1px solid var(--line)}
        h3{font-size:16px;margin:20px 0 6px}
        .kicker{margin:0;color:var(--muted);text-transform:uppercase;letter-spacing:.06em;font-size:12px}
        .name{margin:0 0 12px;font-size:17px;color:var(--muted);word-break:break-word}
        .facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:10px 24px;margin:12px 0 0}
        .facts div{border-left:3px solid var(--line);padding-left:10px}
        .facts dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
        .facts dd{margin:0;font-variant-numeric:tabular-nums;word-break:break-word}.facts dd.time{white-space:nowrap;word-break:normal}
        .status{font-weight:600}.status.completed{color:var(--reached)}.status.failed{color:var(--failure)}
        .status.sending,.status.queued{color:var(--neutral)}.status.paused{color:var(--responded)}
        section{margin-top:32px}
        .explain{color:var(--muted);margin:0 0 10px;font-size:14px}
        .empty{color:var(--muted);font-style:italic}
        svg.chart{display:block;width:100%;height:auto;font-size:13px}
        svg text{fill:var(--ink)}
        .bar .track{fill:var(--track)}
        .bar.neutral .fill{fill:var(--neutral)}.bar.reached .fill{fill:var(--reached)}.bar.read .fill{fill:var(--read)}
        .bar.responded .fill{fill:var(--responded)}.bar.failure .fill{fill:var(--failure)}
        .bar .value{fill:var(--muted);font-variant-numeric:tabular-nums}
        .axis line.grid{stroke:var(--track)}.axis line.baseline,.axis line.tick{stroke:var(--muted)}
        .axis text{fill:var(--muted);font-size:12px;font-variant-numeric:tabular-nums}.axis .caption{font-size:12px}
        .marker line{stroke:var(--muted);stroke-dasharray:5 4}.marker text{fill:var(--muted);font-size:11px}
        path.series{fill:none;stroke-width:2.5}
        path.series.reached{stroke:var(--reached)}path.series.read{stroke:var(--read)}path.series.neutral{stroke:var(--neutral)}
        .end-label{font-weight:600}.end-label.reached{fill:var(--reached)}.end-label.read{fill:var(--read)}.end-label.neutral{fill:var(--neutral)}
        .legend{list-style:none;padding:0;margin:0 0 6px;display:flex;flex-wrap:wrap;gap:4px 24px;font-size:14px}
        .swatch{display:inline-block;width:14px;height:4px;margin-right:6px;vertical-align:middle;background:var(--neutral)}
        .swatch.reached{background:var(--reached)}.swatch.read{background:var(--read)}
        table{border-collapse:collapse;width:100%;font-size:14px}
        th,td{text-align:left;padding:5px 10px;border-bottom:1px solid var(--line);vertical-align:top}
        th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
        td{word-break:break-word}
        .num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
        .note{color:var(--muted)}
        .class{font-size:12px;padding:1px 6px;border-radius:8px;background:var(--track)}
        .class.reached{color:var(--reached)}.class.failure{color:var(--failure)}.class.excluded{color:var(--excluded)}
        .class.invalid{color:var(--invalid)}.class.pending{color:var(--pending)}
        .barcell{width:30%}
        .minibar{display:block;height:10px;min-width:2px;border-radius:2px;background:var(--pending)}
        .minibar.reached{background:var(--reached)}.minibar.failure{background:var(--failure)}.minibar.excluded{background:var(--excluded)}
        .minibar.invalid{background:var(--invalid)}
        footer{margin-top:40px;padding-top:10px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
        """
}
