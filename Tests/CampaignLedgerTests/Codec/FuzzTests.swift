import Foundation
import Testing
import CampaignLedger
import CampaignLedgerDemo

/// Hostile input: seeded mutation fuzzing of the JSON Lines importer and of the stored
/// event record decoder. Inputs repeat exactly for a seed. `LEDGER_FUZZ_SCALE=N` multiplies the
/// number of inputs and `LEDGER_FUZZ_SEED` changes the seed (`tools/fuzz.sh` runs long ones);
/// a crash or hang of the test process is the failure these look for.
@Suite struct FuzzTests {
    static let scale = Int(ProcessInfo.processInfo.environment["LEDGER_FUZZ_SCALE"] ?? "") ?? 1
    static let seed = UInt64(ProcessInfo.processInfo.environment["LEDGER_FUZZ_SEED"] ?? "") ?? 7

    /// Valid lines of a realistic history (every event type, meta, attempts, codes).
    static let validLines: [[UInt8]] = HistoryGenerator(seed: 3, campaigns: 3, contactsPerCampaign: 12)
        .lines().map { Array($0.utf8) }

    // MARK: Lines

    /// One mutation of a valid line: truncation, type swaps, huge numbers and strings, control
    /// characters, invalid UTF-8, deep nesting in `meta`, byte flips, insertions, deletions.
    static func mutate(_ line: [UInt8], _ g: inout SeededGenerator) -> [UInt8] {
        var b = line
        func at() -> Int { Int.random(in: 0...b.count, using: &g) }
        func replaceValue(_ with: String) {
            // Replace the value after a random `":` with `with`, up to the next `,` or `}`.
            let colons = b.indices.filter { $0 > 0 && b[$0] == UInt8(ascii: ":") && b[$0 - 1] == UInt8(ascii: "\"") }
            guard let c = colons.randomElement(using: &g) else { return }
            var end = c + 1
            var depth = 0
            var inString = false
            while end < b.count {
                let ch = b[end]
                if inString {
                    if ch == UInt8(ascii: "\\") { end += 1 } else if ch == UInt8(ascii: "\"") { inString = false }
                } else if ch == UInt8(ascii: "\"") {
                    inString = true
                } else if ch == UInt8(ascii: "{") || ch == UInt8(ascii: "[") {
                    depth += 1
                } else if ch == UInt8(ascii: "}") || ch == UInt8(ascii: "]") {
                    if depth == 0 { break }
                    depth -= 1
                } else if ch == UInt8(ascii: ","), depth == 0 {
                    break
                }
                end += 1
            }
            b.replaceSubrange((c + 1)..<min(end, b.count), with: Array(with.utf8))
        }
        // A line already made huge gets only the mutations that do not scan it (fast in debug).
        let kind = b.count > 4096 ? [0, 4, 8, 9].randomElement(using: &g)! : Int.random(in: 0..<14, using: &g)
        switch kind {
        case 0: b = Array(b.prefix(Int.random(in: 0..<max(b.count, 1), using: &g)))
        case 1: replaceValue(["1", "-1", "0", "1.5", "true", "null", "[]", "{}", "\"\"", "\"x\"", "[1,2]", "{\"a\":1}"].randomElement(using: &g)!)
        case 2: replaceValue(["1e999999", "-1e999999", "99999999999999999999999999", "1000001", "-0", "0.0000001e-99999", "123456789012345678901234567890e20"].randomElement(using: &g)!)
        case 3: replaceValue("\"" + String(repeating: ["a", "é", "😀", "\\n", "\\u0000"].randomElement(using: &g)!, count: Int.random(in: 100...300_000, using: &g)) + "\"")
        case 4: b.insert(UInt8.random(in: 0..<0x20, using: &g), at: at())
        case 5: b.insert(contentsOf: [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x80]].randomElement(using: &g)!, at: at())
        case 6: replaceValue(["\"\\ud800\"", "\"\\udc00x\"", "\"\\u12\"", "\"\\x41\"", "\"\\uD83D\\uDE00\""].randomElement(using: &g)!)
        case 7:
            let depth = [33, 100, 5_000, 200_000].randomElement(using: &g)!
            let open = String(repeating: Bool.random(using: &g) ? "[" : "{\"a\":", count: depth)
            let close = Bool.random(using: &g) ? "" : String(repeating: "]", count: depth)
            let meta = "\"meta\":" + open + "1" + close
            if let brace = b.lastIndex(of: UInt8(ascii: "}")) { b.replaceSubrange(brace..<brace, with: Array(("," + meta).utf8)) }
        case 8: if !b.isEmpty { b[Int.random(in: 0..<b.count, using: &g)] ^= 1 << UInt8.random(in: 0..<8, using: &g) }
        case 9: if !b.isEmpty { b.remove(at: Int.random(in: 0..<b.count, using: &g)) }
        case 10: b.insert(contentsOf: Array(["\"", "\\", ",", ":", "{", "}", "[", "]", " ", "\r"].randomElement(using: &g)!.utf8), at: at())
        case 11:
            // A repeated key, or a key nobody knows.
            if let brace = b.lastIndex(of: UInt8(ascii: "}")) {
                let extra = [",\"type\":\"contact.added\"", ",\"campaign\":\"x\"", ",\"unknown\":1", ",\"\":0"].randomElement(using: &g)!
                b.replaceSubrange(brace..<brace, with: Array(extra.utf8))
            }
        case 12: b = Array(b.prefix(b.count / 2)) + Array(validLines.randomElement(using: &g)!.suffix(b.count / 2))
        default: b += Array(repeating: UInt8(ascii: " "), count: Int.random(in: 0...3, using: &g)) + [0x00]
        }
        return b
    }

    /// Every mutated line either parses or is refused with an `InputError` naming a field;
    /// never a crash.
    @Test func mutatedLinesParseOrAreRefused() {
        var g = SeededGenerator(state: Self.seed)
        var refused = 0
        let count = 2_500 * Self.scale
        for _ in 0..<count {
            var line = Self.validLines.randomElement(using: &g)!
            for _ in 0..<Int.random(in: 1...3, using: &g) { line = Self.mutate(line, &g) }
            do {
                _ = try EventLineParser.parse(line)
            } catch {
                refused += 1
                #expect(!error.message.isEmpty)
            }
        }
        print("fuzz: \(count) mutated lines parsed, \(refused) refused")
        #expect(refused > count / 2)
    }

    /// Files of valid and mutated lines: the importer reports every bad line by its number,
    /// appends the rest with --skip-invalid, and the store verifies afterwards.
    @Test func theImporterReportsEveryBadLine() throws {
        var g = SeededGenerator(state: Self.seed &+ 1)
        var lines = 0
        var rejected = 0
        for _ in 0..<(6 * Self.scale) {
            let ledger = try makeLedger()
            var file: [[UInt8]] = []
            var parserRefuses = Set<Int>()
            for valid in Self.validLines {
                let mutated = Int.random(in: 0..<4, using: &g) == 0
                let line = mutated ? Self.mutate(valid, &g) : valid
                if line.contains(0x0A) { continue }
                file.append(line)
                if (try? EventLineParser.parse(line)) == nil, !line.allSatisfy({ [0x20, 0x09, 0x0D].contains($0) }) {
                    parserRefuses.insert(file.count)
                }
            }
            let data: [UInt8] = file.flatMap { line -> [UInt8] in line + [0x0A] }
            let strict = try ledger.importLines(data)
            #expect(strict.appended == 0 || parserRefuses.isEmpty, "all or nothing")
            let reported = Set(strict.rejected.map(\.line))
            #expect(reported.count == strict.rejected.count, "one report per bad line")
            #expect(parserRefuses.isSubset(of: reported), "every unparsable line is reported by number")
            #expect(reported.allSatisfy { (1...file.count).contains($0) })
            let lenient = try ledger.importLines(data, options: ImportOptions(skipInvalid: true))
            #expect(Set(lenient.rejected.map(\.line)) == reported)
            #expect(lenient.appended + lenient.duplicates + lenient.rejected.count <= file.count)
            let report = try ledger.verify()
            #expect(report.isOK, "\(report.problems)")
            lines += file.count
            rejected += reported.count
        }
        print("fuzz: \(lines) lines imported, \(rejected) bad lines reported")
    }

    // MARK: Records

    /// Random bytes and mutated valid records: `EventRecord.decode` throws or returns a record,
    /// and whatever it returns can be hashed, exported and folded (as `verify` does) without a
    /// trap — a corrupted store gives an error, not a crash.
    @Test func mutatedRecordsDecodeOrThrow() {
        var g = SeededGenerator(state: Self.seed &+ 2)
        var decoded = 0
        var projector = Projector()
        let count = 20_000 * Self.scale
        for n in 0..<count {
            var bytes: [UInt8]
            if n % 10 == 0 {
                bytes = (0..<Int.random(in: 0..<300, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
                if Bool.random(using: &g) && !bytes.isEmpty { bytes[0] = EventRecord.version }
            } else {
                let version: UInt8 = Bool.random(using: &g) ? 1 : 2
                bytes = EventRecord.encode(RandomEvents.recorded(&g, version: version), version: version)
                for _ in 0..<Int.random(in: 1...4, using: &g) {
                    let k = Int.random(in: 0..<bytes.count, using: &g)
                    switch Int.random(in: 0..<5, using: &g) {
                    case 0: bytes[k] ^= 1 << UInt8.random(in: 0..<8, using: &g)
                    case 1: bytes[k] = [0, 1, 0x7F, 0x80, 0xFF].randomElement(using: &g)!
                    case 2: bytes = Array(bytes.prefix(k))
                    case 3: bytes.insert(UInt8.random(in: 0...255, using: &g), at: k)
                    default:
                        // A length or integer field set to an extreme value.
                        let extreme: [UInt8] = Bool.random(using: &g) ? [0xFF, 0xFF, 0xFF, 0xFF] : [0x7F, 0xFF, 0xFF, 0xFF]
                        for (i, v) in extreme.enumerated() where k + i < bytes.count { bytes[k + i] = v }
                    }
                    if bytes.isEmpty { break }
                }
            }
            guard let record = try? EventRecord.decode(bytes) else { continue }
            decoded += 1
            _ = ExportLine.chain(previous: [UInt8](repeating: 0, count: 32), digest: ExportLine.digest(record))
            _ = ExportLine.exportJSON(record)
            _ = ExportLine.csvRow(record)
            projector.apply(record)
        }
        print("fuzz: \(count) records tried, \(decoded) decoded and folded")
        #expect(decoded > 0)
    }
}
