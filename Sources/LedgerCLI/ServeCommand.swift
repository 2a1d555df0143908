import ArgumentParser
import CampaignLedger
import Foundation
import LedgerServer
import Logging

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ledger over HTTP (JSON API, event stream, metrics) for services in any language.",
        discussion: """
            Prints `listening on http://HOST:PORT` when ready (with --listen HOST:0, the port \
            the system chose). SIGTERM or SIGINT stops accepting, finishes the requests in \
            flight and exits 0; SIGHUP re-reads --tokens and --providers. Only loopback addresses may be \
            served without --tokens. With --providers, provider webhooks are taken at \
            POST /v1/callbacks/{meta,twilio,infobip,vonage} (docs/callbacks.md). See docs/server.md.

            Examples:
              ledger serve --store /var/lib/ledger
              ledger serve --listen 0.0.0.0:8480 --tokens /etc/ledger/tokens
              ledger serve --providers /etc/ledger/providers.json
            """)
    @Option(help: ArgumentHelp("Address to listen on (default 127.0.0.1:8480).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8480"
    @Option(help: ArgumentHelp("Bearer tokens and their scopes, one `TOKEN SCOPE[,SCOPE…]` a line.", valueName: "file"))
    var tokens: String?
    @Option(help: ArgumentHelp(
        "Provider callback secrets, JSON: {\"meta\": {\"appSecret\": …}, \"twilio\": {\"authToken\": …}, …} (docs/callbacks.md).",
        valueName: "file"))
    var providers: String?
    @Option(name: .customLong("header-timeout"), help: ArgumentHelp(
        "Seconds a client may take to send a request's headers (default 15).", valueName: "seconds"))
    var headerTimeout: Double = 15
    @Option(name: .customLong("body-timeout"), help: ArgumentHelp(
        "Seconds a client may take to send a request's body after its headers (default 120).", valueName: "seconds"))
    var bodyTimeout: Double = 120
    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp(
        "Seconds a connection may stay silent (default 60).", valueName: "seconds"))
    var idleTimeout: Int = 60
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if ListenAddress(parsing: listen) == nil {
            throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8480 or [::1]:8480")
        }
        if !(headerTimeout > 0) { throw ValidationError("--header-timeout must be positive") }
        if !(bodyTimeout > 0) { throw ValidationError("--body-timeout must be positive") }
        if idleTimeout < 1 { throw ValidationError("--idle-timeout must be at least 1") }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            let options = LedgerServer.Options(
                listen: ListenAddress(parsing: listen)!, tokensPath: tokens, providersPath: providers,
                headerTimeout: .milliseconds(Int64(headerTimeout * 1000)), bodyTimeout: .milliseconds(Int64(bodyTimeout * 1000)),
                idleTimeout: .seconds(idleTimeout))
            try LedgerServer.validate(options)
            // Before the ledger opens: its counters are created then.
            let registry = LedgerServer.bootstrapMetrics()
            let ledger = try openLedger(
                path: storeOptions.path, create: storeOptions.logURL != nil, writes: true, logURL: storeOptions.logURL)
            var logger = Logger(label: "ledger-serve")
            let level = ProcessInfo.processInfo.environment["LEDGER_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) }
            logger.logLevel = level ?? .info
            if storeOptions.logURL != nil { startFollowing(ledger, logger: logger) }
            try LedgerServer.runBlocking(ledger: ledger, options: options, registry: registry, logger: logger)
        }
    }
}
