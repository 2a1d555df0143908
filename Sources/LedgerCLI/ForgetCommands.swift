import ArgumentParser
import CampaignLedger
import Foundation

struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Erase a contact's address (a person's erasure request) and keep the chain.",
        discussion: """
            Appends a contact.forgotten event (who, when, why; no address) and, in the same
            transaction, removes the address and its salt from the contact's contact.added
            record, the projections and the parked provider callbacks that hold it. The
            hash chain covers only the address's digest, so `ledger verify` and every
            checkpoint published before still pass. Answers then show "address": null and
            "forgotten": true; `history` shows the erasure. The contact still counts in the
            metrics.

            The old bytes stay in the file's free pages until they are reused: add
            --compact (or run `ledger compact` later, with the store's other processes
            stopped) to remove them. Backups taken before keep the address
            (docs/erasure.md). Forgetting a contact again does nothing and says so. Exit 2
            when no such contact or address is found.

            Examples:
              ledger forget spring c-1042 --reason "GDPR request 5521" --actor admin:al
              ledger forget --address "+49 170 1234567" --reason "request 5522" --compact
            """)

    @Argument(help: ArgumentHelp("The campaign id (with CONTACT; or give --address).", valueName: "campaign"))
    var campaign: String?
    @Argument(help: ArgumentHelp("The contact id in the campaign.", valueName: "contact"))
    var contact: String?
    @Option(help: ArgumentHelp(
        "Forget every contact, in every campaign, whose address is this (spaces, -, (, ) and . ignored).",
        valueName: "address"))
    var address: String?
    @Option(help: ArgumentHelp("Why: kept in the contact.forgotten event (required).", valueName: "text"))
    var reason: String
    @Option(help: ArgumentHelp("Who asked or did it, e.g. admin:alice.", valueName: "who"))
    var actor: String?
    @Flag(help: "Then compact the store, so that the old bytes leave the file (see `ledger compact`).")
    var compact = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if address != nil {
            if campaign != nil || contact != nil { throw ValidationError("give CAMPAIGN CONTACT or --address, not both") }
        } else if campaign == nil || contact == nil {
            throw ValidationError("give CAMPAIGN CONTACT, or --address ADDRESS")
        }
        if reason.isEmpty { throw ValidationError("--reason must say why (it is kept in the event)") }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            let result: ForgetResult = try {
                let ledger = try storeOptions.open(writes: true)
                if let address { return try ledger.forget(address: address, reason: reason, actor: actor) }
                return try ledger.forget(campaign: campaign!, contact: contact!, reason: reason, actor: actor)
            }()
            var compacted: CompactResult?
            if compact && !result.forgotten.isEmpty { compacted = try Ledger.compact(path: storeOptions.path) }
            if output.json {
                guard case .object(var members) = result.json else { return }
                members.append(("compacted", compacted?.json ?? .null))
                return Terminal.out(JSONOutput.object(members).serialized())
            }
            for f in result.forgotten {
                Terminal.out(
                    "forgot the address of contact \(f.contact) in campaign \(f.campaign): contact.forgotten at position \(f.position), the contact.added at \(f.addedPosition) keeps only its digest")
            }
            for a in result.alreadyForgotten {
                Terminal.out("contact \(a.contact) in campaign \(a.campaign) was forgotten before: nothing to do")
            }
            if result.parkedCallbacksDropped > 0 {
                Terminal.out("dropped \(result.parkedCallbacksDropped) parked provider callbacks that held the address")
            }
            if !result.stillInLog.isEmpty {
                Terminal.err(
                    "warning: the address also appears where the hash chain covers it (a contact id, reason or meta) at positions \(result.stillInLog.map(String.init).joined(separator: ", ")); erasure cannot remove it there")
            }
            if let compacted {
                Terminal.out("compacted \(storeOptions.path): \(compacted.bytesBefore) → \(compacted.bytesAfter) bytes; the old bytes are gone from the file")
            } else if !result.forgotten.isEmpty {
                Terminal.err("the old bytes stay in the file's free pages until `ledger compact --store \(storeOptions.path)` (with the store's other processes stopped)")
            }
            if result.forgotten.isEmpty && result.alreadyForgotten.isEmpty {
                throw LedgerError.notFound(
                    "no contact has the address \(address ?? ""); contacts forgotten before cannot be found by address (their salt is gone)")
            }
        }
    }
}

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rewrite the store into a new file with only its live records, and swap it in.",
        discussion: """
            LMDB keeps freed pages, and the free space inside pages, with their old
            contents until they are reused: after `ledger forget` the erased address is
            still in the file. Compaction copies every record into a new file (positions,
            hashes and answers unchanged) and renames it over data.mdb atomically. It needs
            the store to itself: it is refused, with nothing changed, while another process
            (a server, a follower, an import) has the store open. An interrupted compaction
            leaves the store as it was.

            Example:
              ledger compact --store /var/lib/campaigns/ledger.lmdb
            """)
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CampaignLedgerCLI.run {
            let result = try Ledger.compact(path: storeOptions.path)
            if output.json { return Terminal.out(result.json.serialized()) }
            Terminal.out(String(
                format: "compacted %@: %llu → %llu bytes in %.2f s", storeOptions.path, result.bytesBefore,
                result.bytesAfter, result.seconds))
        }
    }
}
