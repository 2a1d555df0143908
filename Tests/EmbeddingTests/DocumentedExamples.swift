import Foundation
import Testing

/// Runs `body` with the path of a new store in the temporary directory and removes the store
/// afterwards (the example's ledger may still hold it open: its files go once it lets go).
func withScratchStore<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("campaign-ledger-embedding-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Expects the code between `// NAME-BEGIN` and `// NAME-END` in the calling test file to appear
/// verbatim in the document at `document` (relative to the repository root), so a documented
/// example and the test that compiles and runs it cannot drift apart.
func expectVerbatim(
    example name: String, in document: String, testFile: String = #filePath,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let root = URL(fileURLWithPath: testFile).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let text = try String(contentsOf: root.appendingPathComponent(document), encoding: .utf8)
    let source = try String(contentsOf: URL(fileURLWithPath: testFile), encoding: .utf8)
    let start = try #require(source.range(of: "// \(name)-BEGIN\n"), sourceLocation: sourceLocation)
    let end = try #require(source.range(of: "// \(name)-END"), sourceLocation: sourceLocation)
    let example = source[start.upperBound..<end.lowerBound]
    #expect(
        text.contains(example), "\(document) must contain the example of \(URL(fileURLWithPath: testFile).lastPathComponent) verbatim",
        sourceLocation: sourceLocation)
}
