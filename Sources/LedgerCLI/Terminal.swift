import Foundation
import CampaignLedger

/// Writing to the terminal: stdout for answers, stderr for errors, summaries and progress.
enum Terminal {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// One line: `ledger: message`.
    static func error(_ message: String) { err("ledger: " + message) }

    /// Whether stderr is a terminal (progress is shown only then).
    static let stderrIsTerminal = isatty(2) == 1

    /// Progress on one rewritten line, only on a terminal.
    static func progress(_ text: String) {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    static func endProgress() {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// A plain text table with a header row, columns padded to their widest cell.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

/// A rate of an answer for people: `42.0 %` (as the HTML report writes it) or `–`.
func percent(_ value: JSONOutput?) -> String {
    guard case .double(let d)? = value else { return PercentText.of(nil) }
    return PercentText.of(d)
}
