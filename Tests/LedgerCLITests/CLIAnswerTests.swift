import Foundation
import Testing

/// Answers whose text is shared with the library: `verify --json` (the library's document,
/// printed as is), `campaign show --json`'s `build` beside `projectionVersion`, and rates in
/// tables rendered as the HTML report renders them.
@Suite(.timeLimit(.minutes(3)))
struct CLIAnswerTests {
    /// The document `verify --json` has always printed, member for member: the head is the one
    /// the text form prints last.
    @Test func verifyJSONKeepsItsDocument() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let text = try CLI.run(["verify"], store: store)
        #expect(text.status == 0, "\(text)")
        let head = try #require(text.stdoutLines.last?.split(separator: " ").map(String.init))
        try #require(head.count == 3 && head[0] == "head", "\(text)")
        let json = try CLI.run(["verify", "--json"], store: store)
        #expect(json.status == 0, "\(json)")
        #expect(json.stdout == """
            {"ok":true,"eventsChecked":\(Fixture.appended),"firstBadPosition":null,\
            "projectionsCompared":true,"problems":[],"head":{"position":\(head[1]),"hash":"\(head[2])"}}

            """)
    }

    /// `build` is the number of the answering build; `projectionVersion` the version of the
    /// projection's rules, which a rebuild with the same code does not change.
    @Test func campaignShowNamesTheBuildAndTheRulesVersion() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let before = try CLI.run(["campaign", "show", "spring", "--json"], store: store).json()
        #expect(before["build"].int == 1)
        #expect(before["projectionVersion"].int == 1)
        let rebuild = try CLI.run(["rebuild"], store: store)
        #expect(rebuild.status == 0, "\(rebuild)")
        let after = try CLI.run(["campaign", "show", "spring", "--json"], store: store).json()
        #expect(after["build"].int == 2)
        #expect(after["projectionVersion"].int == 1)
        let list = try CLI.run(["campaign", "list", "--json"], store: store).json()
        #expect(list.array.map { $0["build"].int } == [2, 2, 2])
        let table = try CLI.run(["campaign", "show", "spring"], store: store)
        #expect(table.stdout.contains("(build 2)"), "\(table)")
    }

    /// spring: 3 sent, 2 delivered, 1 read → deliveryRate 2/3, readRate 1/2; reminders has no
    /// denominator → `–`. Written `66.7 %`, as the HTML report writes rates.
    @Test func ratesReadAsInTheReport() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let spring = try CLI.run(["campaign", "show", "spring"], store: store)
        #expect(spring.stdoutLines.contains { $0.hasPrefix("deliveryRate") && $0.hasSuffix(" 66.7 %") }, "\(spring)")
        #expect(spring.stdoutLines.contains { $0.hasPrefix("readRate") && $0.hasSuffix(" 50.0 %") }, "\(spring)")
        let reminders = try CLI.run(["campaign", "show", "reminders"], store: store)
        #expect(reminders.stdoutLines.contains { $0.hasPrefix("deliveryRate") && $0.hasSuffix(" –") }, "\(reminders)")
    }
}
