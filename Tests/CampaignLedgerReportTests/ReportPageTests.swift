import Foundation
import Testing
import CampaignLedger
@testable import CampaignLedgerReport

// The report page's structure, checked against histories written by hand; every expected value
// below is worked out from the history's comment, not from the code under test.

@Suite("Report: messaging campaign page")
struct ReportMessagingTests {
    let html: String

    init() throws {
        let ledger = try reportLedger(whatsappHistory)
        html = try CampaignReport(ledger: ledger, campaign: "spring", generatedAtMicros: reportGeneratedAt).html()
    }

    @Test func isOneHTMLDocumentWithExactlyTheExpectedSections() {
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(sectionIDs(html) == ["funnel", "curve", "failures", "metrics", "states"])
        #expect(html.components(separatedBy: "<header>").count == 2)
        #expect(!html.contains("NaN"))
    }

    @Test func isSelfContained() {
        let lower = html.lowercased()
        for reference in ["http://", "https://", "<script", "<link", "src=", "@import", "url("] {
            #expect(!lower.contains(reference), "found \(reference)")
        }
    }

    @Test func headerShowsLifecycleAndPosition() {
        #expect(html.contains("<h1>spring</h1>"))
        #expect(html.contains("<p class=\"name\">Spring promo</p>"))
        #expect(html.contains("data-field=\"status\"><span class=\"status completed\">completed (ended by finished)</span>"))
        #expect(html.contains("data-field=\"channel\">whatsapp<"))
        #expect(html.contains("class=\"time\" data-field=\"createdAt\">2026-11-20T08:00:00Z<"))
        #expect(html.contains("class=\"time\" data-field=\"startedAt\">2026-11-20T09:00:00Z<"))
        #expect(html.contains("class=\"time\" data-field=\"endedAt\">2026-11-21T09:00:00Z<"))
        #expect(html.contains("data-field=\"position\">19<"))  // 19 events, all of this campaign
        #expect(html.contains("class=\"time\" data-field=\"generatedAt\">2026-12-01T12:00:00Z<"))
    }

    @Test func funnelBarsCarryTheCountsAndShareOfSent() {
        let funnel = section(html, "funnel")
        #expect(attributeValues("data-key", in: funnel) == ["sent", "delivered", "read", "responded"])
        #expect(attributeValues("data-count", in: funnel) == ["4", "3", "2", "0"])
        #expect(funnel.contains("3 · 75.0 % of sent"))
        #expect(funnel.contains("2 · 50.0 % of sent"))
        #expect(funnel.contains("0 · 0.0 % of sent"))
    }

    @Test func curvesEndAtTheDeliveredAndReadCounts() throws {
        let curve = section(html, "curve")
        #expect(attributeValues("data-series", in: curve) == ["delivered", "read"])
        // Earliest delivered/read/responded per contact: c1 09:00:07, c2 09:10:00, c3 09:30:00;
        // c1's late second delivered does not count again. Read: c1 09:01:06, c3 09:30:00.
        #expect(attributeValues("data-final-count", in: curve) == ["3", "2"])
        #expect(curve.contains("delivered: 3 contacts — last at 2026-11-20T09:30:00Z"))
        #expect(curve.contains("read: 2 contacts — last at 2026-11-20T09:30:00Z"))
        // The delivered line's last rise reaches the top grid line, which is labelled 3.
        let paths = attributeValues("d", in: curve)
        let lastRise = try #require(paths.first?.components(separatedBy: "V").last?.prefix { $0 != "H" })
        let grid = attributeValues("y1", in: curve)
        #expect(grid.contains(String(lastRise)))
        #expect(curve.contains("dominant-baseline=\"central\">3</text>"))
        // 30 minutes from the start: a tick every 5 minutes, 09:00 to 09:30.
        #expect(attributeValues("data-time", in: curve) == [
            "2026-11-20T09:00:00Z", "2026-11-20T09:05:00Z", "2026-11-20T09:10:00Z", "2026-11-20T09:15:00Z",
            "2026-11-20T09:20:00Z", "2026-11-20T09:25:00Z", "2026-11-20T09:30:00Z",
        ])
        #expect(curve.contains(">09:00</text>"))
        #expect(curve.contains(">09:30</text>"))
        #expect(curve.contains("time (UTC) on 2026-11-20"))
        // Finished the next day, after the last receipt: outside the axis, so not drawn.
        #expect(attributeValues("data-marker", in: curve).isEmpty)
    }

    @Test func failuresShowStatesAndTheMostFrequentReasonPerCode() {
        let failures = section(html, "failures")
        #expect(attributeValues("data-key", in: failures) == ["delivery_failed"])
        #expect(attributeValues("data-count", in: failures) == ["1"])
        #expect(attributeValues("data-code", in: failures) == ["131026"])
        // "Message undeliverable" was reported twice with 131026, "Generic failure" once (first).
        #expect(failures.contains("<td>Message undeliverable</td>"))
        #expect(!failures.contains("Generic failure"))
    }

    @Test func metricsTableShowsRatesAsPercentagesAndTimingsInHumanUnits() {
        let metrics = section(html, "metrics")
        func row(_ key: String) -> String {
            guard let start = metrics.range(of: "<tr data-metric=\"\(key)\">"),
                let end = metrics.range(of: "</tr>", range: start.upperBound..<metrics.endIndex)
            else { return "" }
            return String(metrics[start.lowerBound..<end.upperBound])
        }
        #expect(row("contacts").contains(">4</td>"))
        #expect(row("deliveryRate").contains(">75.0 %</td>"))
        #expect(row("readRate").contains(">66.7 %</td>"))
        #expect(row("responseRate").contains(">0.0 %</td>"))
        // Deliver: 2 s, 594 s, 1793 s; read: 61 s, 1793 s. count and max are exact.
        #expect(row("timeToDeliver").contains("max 29 min 53 s (n = 3)"))
        #expect(row("timeToRead").contains("max 29 min 53 s (n = 2)"))
        #expect(row("dialed").isEmpty)
        #expect(row("states").isEmpty)
    }

    @Test func statesBreakdownCountsEveryState() {
        let states = section(html, "states")
        #expect(attributeValues("data-state", in: states) == ["delivered", "read", "delivery_failed"])
        #expect(attributeValues("data-count", in: states) == ["1", "2", "1"])
        #expect(states.contains("<td class=\"num\">50.0 %</td>"))
    }
}

@Suite("Report: telephone campaign page")
struct ReportTelephoneTests {
    let html: String

    init() throws {
        let ledger = try reportLedger(telephoneHistory)
        html = try CampaignReport(ledger: ledger, campaign: "calls", generatedAtMicros: reportGeneratedAt).html()
    }

    @Test func funnelShowsDialedConnectedSuccess() {
        #expect(sectionIDs(html) == ["funnel", "curve", "failures", "metrics", "states"])
        let funnel = section(html, "funnel")
        #expect(attributeValues("data-key", in: funnel) == ["dialed", "connected", "success"])
        #expect(attributeValues("data-count", in: funnel) == ["3", "2", "1"])
        #expect(funnel.contains("2 · 66.7 % of dialed"))
        #expect(funnel.contains("1 · 33.3 % of dialed"))
        #expect(!html.contains("data-key=\"delivered\""))
    }

    @Test func curvesAreConnectedAndSuccess() {
        let curve = section(html, "curve")
        #expect(curve.contains("<h2>Connected and successful over time</h2>"))
        #expect(attributeValues("data-series", in: curve) == ["connected", "success"])
        #expect(attributeValues("data-final-count", in: curve) == ["2", "1"])
        // Connected 10:00:30 and 10:03:00, success 10:06:00; the pause lies inside that span.
        #expect(attributeValues("data-marker", in: curve) == ["paused", "resumed"])
    }

    @Test func statusFailuresAndMetrics() {
        #expect(html.contains("<span class=\"status sending\">sending</span>"))
        #expect(html.contains("class=\"time\" data-field=\"endedAt\">–<"))
        let failures = section(html, "failures")
        #expect(attributeValues("data-key", in: failures) == ["unreachable"])
        #expect(failures.contains("<td>No answer after 3 attempts</td>"))
        let metrics = section(html, "metrics")
        #expect(metrics.contains("<tr data-metric=\"contactRate\"><td><code>contactRate</code></td><td class=\"num\">66.7 %</td>"))
        #expect(metrics.contains("<tr data-metric=\"abandonRate\"><td><code>abandonRate</code></td><td class=\"num\">0.0 %</td>"))
        #expect(!metrics.contains("data-metric=\"deliveryRate\""))
        let states = section(html, "states")
        #expect(attributeValues("data-state", in: states) == ["success", "unreachable", "acw"])
    }
}

@Suite("Report: hostile text, empty campaigns, errors")
struct ReportEdgeTests {
    @Test func textFromOutsideIsEscapedEverywhere() throws {
        let id = #"evil<script>alert(1)</script>"#
        let ledger = try reportLedger([
            #"{"type":"campaign.created","campaign":"evil<script>alert(1)</script>","channel":"sms","name":"<script>alert(\"name\")</script> & co","at":"2026-11-20T08:00:00Z"}"#,
            #"{"type":"contact.added","campaign":"evil<script>alert(1)</script>","contact":"<img onerror=x>","address":"+420601234561","at":"2026-11-20T08:00:01Z"}"#,
            #"{"type":"campaign.started","campaign":"evil<script>alert(1)</script>","at":"2026-11-20T09:00:00Z"}"#,
            #"{"type":"contact.status","campaign":"evil<script>alert(1)</script>","contact":"<img onerror=x>","status":"sent","at":"2026-11-20T09:00:01Z"}"#,
            #"{"type":"contact.status","campaign":"evil<script>alert(1)</script>","contact":"<img onerror=x>","status":"delivery_failed","code":"<b>1</b>","reason":"<script>alert('reason')</script>","at":"2026-11-20T09:00:02Z"}"#,
        ])
        let html = try CampaignReport(ledger: ledger, campaign: id, generatedAtMicros: reportGeneratedAt).html()
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>1"))
        #expect(html.contains("<h1>evil&lt;script&gt;alert(1)&lt;/script&gt;</h1>"))
        #expect(html.contains("<title>Campaign report: evil&lt;script&gt;alert(1)&lt;/script&gt;</title>"))
        #expect(html.contains("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; &amp; co"))
        #expect(html.contains("<td>&lt;script&gt;alert(&#39;reason&#39;)&lt;/script&gt;</td>"))
        #expect(html.contains("data-code=\"&lt;b&gt;1&lt;/b&gt;\""))
    }

    @Test func aCampaignWithNoReportsStillHasEverySectionAndNoEmptyChart() throws {
        let ledger = try reportLedger([
            #"{"type":"campaign.created","campaign":"quiet","channel":"whatsapp","at":"2026-11-20T08:00:00Z"}"#,
            #"{"type":"contact.added","campaign":"quiet","contact":"c1","address":"+420601234561","at":"2026-11-20T08:00:01Z"}"#,
        ])
        let html = try CampaignReport(ledger: ledger, campaign: "quiet", generatedAtMicros: reportGeneratedAt).html()
        #expect(sectionIDs(html) == ["funnel", "curve", "failures", "metrics", "states"])
        #expect(html.contains("<span class=\"status queued\">queued</span>"))
        #expect(attributeValues("data-count", in: section(html, "funnel")) == ["0", "0", "0", "0"])
        #expect(section(html, "curve").contains("<p class=\"empty\">No delivery receipts yet"))
        #expect(!section(html, "curve").contains("<svg"))
        #expect(section(html, "failures").contains("<p class=\"empty\">"))
        #expect(section(html, "metrics").contains("<tr data-metric=\"deliveryRate\"><td><code>deliveryRate</code></td><td class=\"num\">–</td>"))
        #expect(section(html, "metrics").contains("<tr data-metric=\"timeToDeliver\"><td><code>timeToDeliver</code></td><td class=\"num\">–</td>"))
        #expect(attributeValues("data-state", in: section(html, "states")) == ["initial"])
        #expect(!html.contains("NaN"))
    }

    @Test func anUnknownCampaignIsNotFound() throws {
        let ledger = try reportLedger(whatsappHistory)
        let error = #expect(throws: LedgerError.self) {
            try CampaignReport(ledger: ledger, campaign: "nope")
        }
        guard case .notFound? = error else {
            Issue.record("expected notFound, got \(String(describing: error))")
            return
        }
        #expect(error?.exitCode == 2)
    }

    @Test func durationsAndCountsReadNaturally() {
        #expect(durationText(0.25) == "250 ms")
        #expect(durationText(2) == "2.0 s")
        #expect(durationText(61) == "1 min 1 s")
        #expect(durationText(1793) == "29 min 53 s")
        #expect(durationText(7200) == "2 h")
        #expect(durationText(90_000) == "1 d 1 h")
        #expect(groupedCount(1_234_567) == "1,234,567")
        #expect(groupedCount(999) == "999")
        #expect(SVGChart.countTicks(maximum: 3) == [0, 1, 2, 3])
        #expect(SVGChart.countTicks(maximum: 7) == [0, 2, 4, 6, 8])
        #expect(SVGChart.countTicks(maximum: 1234) == [0, 500, 1000, 1500])
    }
}
