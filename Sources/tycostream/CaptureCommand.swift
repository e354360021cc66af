import ArgumentParser
import Foundation
import PGSim

/// `tycostream capture`: a recording proxy between a Postgres-wire client and a real server.
struct CaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Proxy a Postgres-wire server and record every client session to a file.",
        discussion: """
            Listens for clients, connects each to the upstream server and passes bytes both ways unchanged, writing one human-readable recording (.pgrec, see Fixtures/README.md) per connection. The proxy answers the client's SSLRequest with N itself, so point the client at the proxy with sslmode=prefer or disable; use --upstream-tls when the server needs TLS. Passwords and SCRAM proofs are masked unless --keep-secrets is given.

            Examples:
              tycostream capture --listen 127.0.0.1:6876 --upstream localhost:6875 --out captures
              tycostream capture --listen 127.0.0.1:6876 --upstream abc.us-east-1.aws.materialize.cloud:6875 --upstream-tls --out captures
              psql 'postgres://materialize@127.0.0.1:6876/materialize?sslmode=disable' -c 'COPY (SUBSCRIBE t) TO STDOUT'
            """
    )

    @Option(help: "host:port to listen on.")
    var listen = "127.0.0.1:6876"

    @Option(help: "host:port of the real server.")
    var upstream: String

    @Flag(help: "Speak TLS to the upstream (its own SSLRequest and handshake).")
    var upstreamTLS = false

    @Flag(help: "With --upstream-tls: skip certificate verification (like sslmode=require).")
    var insecure = false

    @Option(help: "With --upstream-tls: a PEM file of CA certificates to verify the upstream with.")
    var caFile: String?

    @Flag(help: "Record passwords and SCRAM proofs as sent instead of masking them.")
    var keepSecrets = false

    @Option(help: "The directory for the recordings.")
    var out: String

    func validate() throws {
        _ = try HostPort.parse(listen, option: "--listen")
        _ = try HostPort.parse(upstream, option: "--upstream")
    }

    func run() async throws {
        let (listenHost, listenPort) = try HostPort.parse(listen, option: "--listen")
        let (upstreamHost, upstreamPort) = try HostPort.parse(upstream, option: "--upstream")
        let tls: CaptureProxy.UpstreamTLS = upstreamTLS ? (insecure ? .require : .verifyFull(caFile: caFile)) : .disable
        let proxy = CaptureProxy(
            listenHost: listenHost, listenPort: listenPort, upstreamHost: upstreamHost, upstreamPort: upstreamPort,
            upstreamTLS: tls, outputDirectory: out, keepsSecrets: keepSecrets)
        try await proxy.run(
            onListening: { port in
                FileHandle.standardError.write(Data("capturing on \(listenHost):\(port) -> \(upstreamHost):\(upstreamPort), writing to \(out)\n".utf8))
            },
            onRecorded: { path in
                FileHandle.standardError.write(Data("recorded \(path)\n".utf8))
            })
    }
}

/// `host:port` option values.
enum HostPort {
    static func parse(_ text: String, option: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon > text.startIndex
        else {
            throw ValidationError("\(option) takes host:port, e.g. 127.0.0.1:6876; got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
