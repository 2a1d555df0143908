public import CampaignLedger
import Foundation
import Hummingbird
public import Logging
import Metrics
import NIOCore
import NIOPosix
public import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `ledger serve`: the ledger over HTTP for services in any language (http.md §1–2). A client
/// of the library like the CLI: every answer comes from the same library function as the CLI's
/// `--json`, and every append goes through `Ledger.append` (group commit).
public enum LedgerServer {
    /// How to run the server.
    public struct Options: Sendable {
        public var listen: ListenAddress
        public var tokensPath: String?
        /// The secrets and settings of provider callbacks (http.md §1, `--providers FILE`).
        public var providersPath: String?
        /// Time a connection may take to send a request's headers (from connecting, or from
        /// the end of the previous response); a slower client is disconnected.
        public var headerTimeout: Duration
        /// Time a request's body may take to arrive after its headers; a slower client is
        /// disconnected (and nothing of its request is appended).
        public var bodyTimeout: Duration
        /// Time a connection may stay silent (between requests or within a body).
        public var idleTimeout: Duration
        /// The longest a graceful shutdown may take before the remaining requests are cancelled.
        public var shutdownTimeout: Duration

        public init(
            listen: ListenAddress, tokensPath: String? = nil, providersPath: String? = nil, headerTimeout: Duration = .seconds(15),
            bodyTimeout: Duration = .seconds(120), idleTimeout: Duration = .seconds(60), shutdownTimeout: Duration = .seconds(30)
        ) {
            self.listen = listen
            self.tokensPath = tokensPath
            self.providersPath = providersPath
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.shutdownTimeout = shutdownTimeout
        }
    }

    /// Routes the metrics of the process (swift-metrics) to a Prometheus registry, for
    /// `GET /metrics`. Call once, from the executable's main path, before opening the ledger
    /// (whose counters are created when it opens).
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// Checks the options before anything starts: a non-loopback address needs tokens, and the
    /// tokens file must read. Throws `LedgerError.usage` with one line saying why.
    public static func validate(_ options: Options) throws {
        if !options.listen.isLoopback && options.tokensPath == nil {
            throw LedgerError.usage(
                "refusing to listen on \(options.listen) without --tokens: only loopback addresses (127.0.0.1, ::1, localhost) may be served without tokens")
        }
        if let path = options.tokensPath {
            do { _ = try TokenTable(contentsOf: path) } catch { throw LedgerError.usage(error.message) }
        }
        _ = try providers(options)
    }

    /// The provider settings of `--providers FILE` (none configured without the option).
    static func providers(_ options: Options) throws -> ProviderSettings {
        do { return try ProviderSettings(path: options.providersPath) } catch { throw LedgerError.usage("\(error)") }
    }

    /// Serves `ledger` until SIGTERM or SIGINT, then stops accepting, finishes the requests in
    /// flight and returns. Prints `listening on http://HOST:PORT` (the bound port, so `:0`
    /// works) on standard output once connections are accepted.
    public static func run(
        ledger: Ledger, options: Options, registry: PrometheusCollectorRegistry?, logger: Logger
    ) async throws {
        try validate(options)
        let authorizer: Authorizer
        do { authorizer = try Authorizer(path: options.tokensPath) } catch { throw LedgerError.usage(error.message) }
        let providers = try providers(options)
        let api = API(
            ledger: ledger, authorizer: authorizer, registry: registry, loopback: options.listen.isLoopback,
            providers: providers)
        let router = api.router()
        func amount(_ d: Duration) -> TimeAmount {
            .nanoseconds(Int64(d.components.seconds) * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
        }
        let (headerTimeout, bodyTimeout) = (amount(options.headerTimeout), amount(options.bodyTimeout))
        let idle = TimeAmount.seconds(options.idleTimeout.components.seconds)
        let app = Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [
                    RequestTimeoutHandler(headerTimeout: headerTimeout, bodyTimeout: bodyTimeout),
                    ContinueHandler(),
                ],
                idleTimeout: idle)),
            configuration: .init(address: .hostname(options.listen.host, port: options.listen.port), serverName: nil),
            onServerRunning: { channel in
                let address = channel.localAddress
                let host = options.listen.host.contains(":") ? "[\(options.listen.host)]" : options.listen.host
                // The first line on standard output: scripts and tests read the bound port here.
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(address?.port ?? options.listen.port)\n".utf8))
            },
            logger: logger
        )
        let reloader = ConfigurationReloader(authorizer: authorizer, providers: providers, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: reloader)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ).withShutdownTimeout(options.shutdownTimeout))
        try await group.run()
        logger.info("stopped: every acknowledged append is on disk")
    }

    /// Every route the server answers, as `METHOD /path` with parameters as `{name}` (the
    /// OpenAPI document's spelling): a test holds the document and the authorization matrix
    /// to exactly these, so no route can be added without both.
    public static func routes(ledger: Ledger) throws -> [String] {
        let api = API(
            ledger: ledger, authorizer: try Authorizer(path: nil), registry: nil, loopback: true, providers: try ProviderSettings(path: nil))
        return api.router().routes.map { route in
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
            return "\(route.method.rawValue) \(path.hasPrefix("/") ? path : "/" + path)"
        }.sorted()
    }

    /// `run` for a synchronous caller (the `ledger` command): blocks until the server stops.
    public static func runBlocking(
        ledger: Ledger, options: Options, registry: PrometheusCollectorRegistry?, logger: Logger
    ) throws {
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let result: Result<Void, any Error>
            do {
                try await run(ledger: ledger, options: options, registry: registry, logger: logger)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        try outcome.withLock { $0 }?.get()
    }
}

extension ServiceGroupConfiguration {
    func withShutdownTimeout(_ timeout: Duration) -> Self {
        var c = self
        c.maximumGracefulShutdownDuration = timeout
        return c
    }
}

/// Re-reads the tokens file on SIGHUP; a file that no longer reads keeps the tokens in force.
/// SIGHUP re-reads the tokens (`--tokens`) and the provider secrets (`--providers`); a file that
/// no longer reads keeps what was in force and is logged.
struct ConfigurationReloader: Service {
    let authorizer: Authorizer
    let providers: ProviderSettings
    let logger: Logger

    func run() async throws {
        guard authorizer.path != nil || providers.path != nil else {
            try? await gracefulShutdown()
            return
        }
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                if let path = authorizer.path {
                    do throws(TokenFileError) {
                        try authorizer.reload()
                        logger.info("reloaded the tokens", metadata: ["file": "\(path)"])
                    } catch {
                        logger.error("kept the previous tokens: \(error.message)")
                    }
                }
                if let path = providers.path {
                    do throws(CallbackSettings.LoadError) {
                        try providers.reload()
                        logger.info("reloaded the provider secrets", metadata: ["file": "\(path)"])
                    } catch {
                        logger.error("kept the previous provider secrets: \(error.message)")
                    }
                }
            }
        }
    }
}
