import CampaignLedger
import Foundation

// Small helpers that draw the report's charts as inline SVG text. Everything is drawn in a fixed
// 960-unit-wide view box that the page scales to its width; no scripts, no external resources.

/// Text made safe for HTML element content and quoted attribute values (`&`, `<`, `>`, `"`, `'`).
/// Every string that reaches the page from the ledger (ids, names, codes, reasons) passes here.
func htmlEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A count for people: `12,345`.
func groupedCount(_ n: Int64) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out += "," }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}

/// A ratio as a percentage with one decimal (`75.0 %`), or `–` when there is none.
func percentText(_ ratio: Double?) -> String { PercentText.of(ratio) }

/// A duration in seconds for people: `850 ms`, `42 s`, `3 min 12 s`, `2 h 5 min`, `3 d 4 h`.
func durationText(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "–" }
    if seconds < 1 { return seconds <= 0 ? "0 s" : "\(Int((seconds * 1000).rounded())) ms" }
    if seconds < 10 { return String(format: "%.1f s", seconds) }
    let total = Int64(seconds.rounded())
    if total < 60 { return "\(total) s" }
    if total < 3600 { return "\(total / 60) min" + (total % 60 == 0 ? "" : " \(total % 60) s") }
    if total < 86_400 {
        let minutes = (total % 3600) / 60
        return "\(total / 3600) h" + (minutes == 0 ? "" : " \(minutes) min")
    }
    let hours = (total % 86_400) / 3600
    return "\(total / 86_400) d" + (hours == 0 ? "" : " \(hours) h")
}

/// A coordinate with at most one decimal and no trailing `.0`.
private func coord(_ value: Double) -> String {
    let tenths = (value * 10).rounded()
    if tenths.truncatingRemainder(dividingBy: 10) == 0 { return String(Int64(tenths / 10)) }
    return String(format: "%.1f", tenths / 10)
}

/// One bar of a horizontal bar chart.
struct ChartBar {
    /// A stable machine key, written as `data-key` (a state id, a metric name).
    var key: String
    /// The label left of the bar.
    var label: String
    var count: Int64
    /// Written after the count, e.g. `75.0 % of sent`.
    var note: String?
    /// A CSS class that picks the bar's colour: `neutral`, `reached`, `read`, `failure`, …
    var tone: String
}

/// One cumulative step line: `times` are the instants (ns since 1970) at which the count grew by
/// one, sorted ascending.
struct StepSeries {
    var key: String
    var label: String
    var times: [Int64]
    var tone: String
}

/// A dashed vertical line on a time axis with a short label, e.g. when a campaign was paused.
struct TimeMarker {
    var nanos: Int64
    var label: String
}

enum SVGChart {
    static let width = 960.0

    /// Horizontal bars, one row each: label, a track with the filled bar, then the count and its
    /// note. Bars are scaled to `scaleMax` (or the largest count). Each bar is a
    /// `<g class="bar" data-key=… data-count=…>`.
    static func horizontalBars(_ bars: [ChartBar], title: String, scaleMax: Int64? = nil) -> String {
        let labelWidth = 190.0, valueWidth = 210.0, rowHeight = 34.0, barHeight = 22.0, pad = 6.0
        let plot = width - labelWidth - valueWidth
        let largest = max(scaleMax ?? 0, bars.map(\.count).max() ?? 0, 1)
        let height = pad * 2 + rowHeight * Double(bars.count)
        var s = "<svg class=\"chart bars\" viewBox=\"0 0 \(coord(width)) \(coord(height))\" role=\"img\" aria-label=\"\(htmlEscape(title))\">"
        for (i, bar) in bars.enumerated() {
            let top = pad + rowHeight * Double(i)
            let middle = top + rowHeight / 2
            let filled = bar.count > 0 ? max(plot * Double(bar.count) / Double(largest), 2) : 0
            let value = groupedCount(bar.count) + (bar.note.map { " · " + $0 } ?? "")
            s += "<g class=\"bar \(htmlEscape(bar.tone))\" data-key=\"\(htmlEscape(bar.key))\" data-count=\"\(bar.count)\">"
            s += "<title>\(htmlEscape(bar.label)): \(htmlEscape(value))</title>"
            s += "<text class=\"label\" x=\"\(coord(labelWidth - 10))\" y=\"\(coord(middle))\" text-anchor=\"end\" dominant-baseline=\"central\">\(htmlEscape(bar.label))</text>"
            s += "<rect class=\"track\" x=\"\(coord(labelWidth))\" y=\"\(coord(middle - barHeight / 2))\" width=\"\(coord(plot))\" height=\"\(coord(barHeight))\" rx=\"3\"/>"
            s += "<rect class=\"fill\" x=\"\(coord(labelWidth))\" y=\"\(coord(middle - barHeight / 2))\" width=\"\(coord(filled))\" height=\"\(coord(barHeight))\" rx=\"3\"/>"
            s += "<text class=\"value\" x=\"\(coord(labelWidth + plot + 10))\" y=\"\(coord(middle))\" dominant-baseline=\"central\">\(htmlEscape(value))</text>"
            s += "</g>"
        }
        return s + "</svg>"
    }

    /// Cumulative step lines over a UTC time axis from `start` to the last step (at least a minute
    /// wide), with labelled time ticks, a count axis from 0, and each line's final count written
    /// at its right end. Each line is a `<path class="series" data-series=… data-final-count=…>`.
    /// `markers` inside the axis are drawn as dashed vertical lines with their label.
    static func stepChart(_ series: [StepSeries], start: Int64, markers: [TimeMarker] = [], title: String) -> String {
        let height = 360.0
        let left = 64.0, right = 150.0, top = 18.0, bottom = 56.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let first = min(start, series.compactMap(\.times.first).min() ?? start)
        let last = series.compactMap(\.times.last).max() ?? start
        let end = max(last, first + 60 * 1_000_000_000)
        let span = Double(end - first)
        let yTicks = countTicks(maximum: Int64(series.map(\.times.count).max() ?? 0))
        let yMax = Double(yTicks.last ?? 1)
        func x(_ t: Int64) -> Double { left + plotWidth * Double(t - first) / span }
        func y(_ n: Int) -> Double { top + plotHeight * (1 - Double(n) / yMax) }

        var s = "<svg class=\"chart curve\" viewBox=\"0 0 \(coord(width)) \(coord(height))\" role=\"img\" aria-label=\"\(htmlEscape(title))\">"
        // Count axis: grid lines with labels.
        s += "<g class=\"axis y\">"
        for tick in yTicks {
            let ty = y(Int(tick))
            s += "<line class=\"grid\" x1=\"\(coord(left))\" y1=\"\(coord(ty))\" x2=\"\(coord(left + plotWidth))\" y2=\"\(coord(ty))\"/>"
            s += "<text x=\"\(coord(left - 8))\" y=\"\(coord(ty))\" text-anchor=\"end\" dominant-baseline=\"central\">\(groupedCount(tick))</text>"
        }
        s += "</g>"
        // Time axis: a baseline, tick marks and labels, and the axis caption.
        let ticks = timeTicks(from: first, to: end)
        s += "<g class=\"axis x\">"
        s += "<line class=\"baseline\" x1=\"\(coord(left))\" y1=\"\(coord(top + plotHeight))\" x2=\"\(coord(left + plotWidth))\" y2=\"\(coord(top + plotHeight))\"/>"
        for tick in ticks.ticks {
            let tx = x(tick.nanos)
            s += "<line class=\"tick\" x1=\"\(coord(tx))\" y1=\"\(coord(top + plotHeight))\" x2=\"\(coord(tx))\" y2=\"\(coord(top + plotHeight + 5))\"/>"
            s += "<text x=\"\(coord(tx))\" y=\"\(coord(top + plotHeight + 20))\" text-anchor=\"middle\" data-time=\"\(htmlEscape(tick.full))\">\(htmlEscape(tick.label))</text>"
        }
        s += "<text class=\"caption\" x=\"\(coord(left + plotWidth / 2))\" y=\"\(coord(height - 8))\" text-anchor=\"middle\">\(htmlEscape(ticks.caption))</text>"
        s += "</g>"
        // Lifecycle markers; a label close to the previous one moves down a row.
        var previousX = -Double.infinity, row = 0
        for marker in markers.sorted(by: { $0.nanos < $1.nanos }) where marker.nanos > first && marker.nanos <= end {
            let mx = x(marker.nanos)
            row = mx - previousX < 90 ? (row + 1) % 3 : 0
            previousX = mx
            s += "<g class=\"marker\" data-marker=\"\(htmlEscape(marker.label))\"><line x1=\"\(coord(mx))\" y1=\"\(coord(top))\" x2=\"\(coord(mx))\" y2=\"\(coord(top + plotHeight))\"/>"
            let nearRight = mx > left + plotWidth - 70
            s += "<text x=\"\(coord(nearRight ? mx - 4 : mx + 4))\" y=\"\(coord(top + 10 + 14 * Double(row)))\"\(nearRight ? " text-anchor=\"end\"" : "")>\(htmlEscape(marker.label))</text>"
            s += "<title>\(htmlEscape(marker.label)) at \(htmlEscape(String(utcText(marker.nanos).prefix(19))))Z</title></g>"
        }
        // The lines: one point per distinct tenth of a unit on the x axis keeps big campaigns small.
        var labels: [(y: Double, text: String, tone: String)] = []
        for line in series {
            var d = "M\(coord(x(first))) \(coord(y(0)))"
            var i = 0
            while i < line.times.count {
                let px = (x(line.times[i]) * 10).rounded() / 10
                var j = i + 1
                while j < line.times.count, (x(line.times[j]) * 10).rounded() / 10 == px { j += 1 }
                d += "H\(coord(px))V\(coord(y(j)))"
                i = j
            }
            d += "H\(coord(x(end)))"
            s += "<path class=\"series \(htmlEscape(line.tone))\" data-series=\"\(htmlEscape(line.key))\" data-final-count=\"\(line.times.count)\" d=\"\(d)\"><title>\(htmlEscape(line.label)): \(groupedCount(Int64(line.times.count)))</title></path>"
            labels.append((y(line.times.count), "\(line.label) \(groupedCount(Int64(line.times.count)))", line.tone))
        }
        // End labels in the right margin, pushed apart so they never overlap.
        labels.sort { $0.y < $1.y }
        for k in labels.indices.dropFirst() where labels[k].y - labels[k - 1].y < 16 {
            labels[k].y = labels[k - 1].y + 16
        }
        for label in labels {
            s += "<text class=\"end-label \(htmlEscape(label.tone))\" x=\"\(coord(left + plotWidth + 8))\" y=\"\(coord(label.y))\" dominant-baseline=\"central\">\(htmlEscape(label.text))</text>"
        }
        return s + "</svg>"
    }

    /// Count-axis ticks from 0 to a round maximum that covers `maximum`: steps of 1, 2 or 5 × 10ⁿ,
    /// at most five steps.
    static func countTicks(maximum: Int64) -> [Int64] {
        let top = max(maximum, 1)
        var magnitude: Int64 = 1
        while true {
            for factor: Int64 in [1, 2, 5] {
                let step = factor * magnitude
                let steps = (top + step - 1) / step
                if steps <= 5 { return (0...steps).map { $0 * step } }
            }
            magnitude *= 10
        }
    }

    struct TimeTick {
        var nanos: Int64
        var label: String
        /// The tick's full UTC time, for tooltips and tests.
        var full: String
    }

    /// Time ticks at round UTC instants (a step from 1 s to 30 d chosen for at most seven ticks),
    /// labelled `HH:MM:SS`, `HH:MM`, `MM-DD HH:MM` or `MM-DD` as the span needs; the caption
    /// names the start date.
    static func timeTicks(from start: Int64, to end: Int64) -> (ticks: [TimeTick], caption: String) {
        let second: Int64 = 1_000_000_000
        let steps: [Int64] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800,
                              21_600, 43_200, 86_400, 172_800, 604_800, 1_209_600, 2_592_000]
        let spanSeconds = max((end - start) / second, 1)
        let step = (steps.first { spanSeconds / $0 <= 6 } ?? steps.last!) * second
        let startText = utcText(start), endText = utcText(end)
        let sameDay = startText.prefix(10) == endText.prefix(10)
        var ticks: [TimeTick] = []
        var t = start % step == 0 ? start : (start / step + (start > 0 ? 1 : 0)) * step
        while t <= end {
            let text = utcText(t)
            let label: String
            if step >= 86_400 * second {
                label = String(text.dropFirst(5).prefix(5))
            } else if !sameDay {
                label = String(text.dropFirst(5).prefix(5)) + " " + String(text.dropFirst(11).prefix(5))
            } else if step < 60 * second {
                label = String(text.dropFirst(11).prefix(8))
            } else {
                label = String(text.dropFirst(11).prefix(5))
            }
            ticks.append(TimeTick(nanos: t, label: label, full: String(text.prefix(19)) + "Z"))
            t += step
        }
        let caption = sameDay
            ? "time (UTC) on \(startText.prefix(10))"
            : "time (UTC), \(startText.prefix(10)) to \(endText.prefix(10))"
        return (ticks, caption)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for an instant in nanoseconds.
    static func utcText(_ nanos: Int64) -> String {
        let micros = nanos >= 0 ? nanos / 1000 : (nanos - 999) / 1000
        return RFC3339.formatMicros(micros)
    }
}
