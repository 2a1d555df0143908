/// Answers that the `ledger` command's `--json` and `ledger serve` both give: one function per
/// document, so the two are byte-for-byte the same (interchange.md §3, http.md §2).
extension AppendOutcome {
    /// `{"outcome": "appended"|"duplicate", "position": N, "id": "…"}`: `ledger append --json`
    /// and each entry of the `outcomes` of `POST /v1/events`.
    public var json: JSONOutput {
        let (word, position): (String, UInt64) = switch self {
        case .appended(let p, _): ("appended", p)
        case .duplicate(let p, _): ("duplicate", p)
        }
        return .object([("outcome", .string(word)), ("position", .int(Int64(position))), ("id", .string(id))])
    }

    /// `{"outcomes": [ … ]}`, each entry as `json` gives it: the answer of `POST /v1/events` and
    /// `ledger_append`. Written straight into one string (the same text as
    /// `.object([("outcomes", .array(outcomes.map(\.json)))])`): a 10 000-event batch's answer
    /// without building 10 000 JSON values first.
    public static func document(_ outcomes: [AppendOutcome]) -> JSONOutput {
        var out = #"{"outcomes":["#
        out.reserveCapacity(16 + outcomes.count * 80)
        for (i, outcome) in outcomes.enumerated() {
            if i > 0 { out += "," }
            switch outcome {
            case .appended(let p, _): out += #"{"outcome":"appended","position":"#; out += String(p)
            case .duplicate(let p, _): out += #"{"outcome":"duplicate","position":"#; out += String(p)
            }
            out += #","id":"#
            JSONOutput.writeString(outcome.id, to: &out)
            out += "}"
        }
        out += "]}"
        return .raw(out)
    }
}

extension LogHead {
    /// `{"position": N, "hash": "…", "recordedAt": "…"}`: a checkpoint to publish. An empty log
    /// has position 0, the all-zero hash and a null `recordedAt`.
    public var json: JSONOutput {
        .object([
            ("position", .int(Int64(position))), ("hash", .string(Hex.encode(hash))),
            ("recordedAt", position == 0 ? .null : .string(RFC3339.formatMicros(recordedAtMicros))),
        ])
    }
}

extension Ledger {
    /// `ledger history CAMPAIGN [CONTACT] --json`. A filter keeps the entries recorded (or, for
    /// a duplicate, received) by then (`.asOf`), or whose `at` is before then (`.occurredBefore`);
    /// their states are those the full timeline gives them.
    public func historyJSON(campaign: String, contact: String? = nil, filter: TimeFilter? = nil) throws -> JSONOutput {
        var entries = try history(campaign: campaign, contact: contact)
        switch filter {
        case .asOf(let t)?:
            entries.removeAll { $0.recordedAtMicros.multipliedReportingOverflow(by: 1000).partialValue > t }
        case .occurredBefore(let t)?:
            entries.removeAll { $0.recorded.event.atNanos >= t }
        case .everything?, nil:
            break
        }
        return .array(entries.map(\.json))
    }

    /// `ledger projections list --json`.
    public func buildsJSON() throws -> JSONOutput {
        .array(try builds().map(\.json))
    }
}
