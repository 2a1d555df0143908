import CampaignLedger

/// A stored event record, as anything that can be read from the `events` database: decoding
/// throws an error located inside the record, or gives a record that re-encodes to exactly the
/// same bytes (the format has one encoding per record: fixed field order, presence bits, no
/// padding, nothing after the last field) and that can be hashed, exported and folded as
/// `ledger verify` does.
enum StoredRecordTarget {
    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        let record: RecordedEvent
        do {
            record = try EventRecord.decode(data)
        } catch {
            guard !error.message.isEmpty, (0...data.count).contains(error.offset) else {
                throw FuzzViolation("a decode error without a message or outside the record: \(error)")
            }
            return
        }
        let encoded = EventRecord.encode(record, version: data[0])  // a decoded record's version is 1 or 2
        guard encoded == data else {
            throw FuzzViolation("a decoded record re-encodes to other bytes (\(data.count) in, \(encoded.count) out)")
        }
        _ = ExportLine.chain(previous: ExportLine.genesis, digest: ExportLine.digest(record))
        _ = ExportLine.exportJSON(record)
        _ = ExportLine.csvRow(record)
        var projector = Projector()
        projector.apply(record)
    }
}
