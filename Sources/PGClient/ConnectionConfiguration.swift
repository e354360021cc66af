import Foundation
import PGWire

/// Where and how to connect to a PostgreSQL-compatible server (PostgreSQL, Materialize).
///
/// Mirrors libpq's connection parameters where they exist
/// (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS),
/// so a `postgres://` URL that works with `psql` works here.
public struct ConnectionConfiguration: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String?
    public var applicationName: String?
    /// Command-line style options for the server, e.g. `--cluster=prod` for Materialize.
    public var options: String?
    public var sslMode: SSLMode
    /// A PEM file of CA certificates for `verify-ca`/`verify-full`; the system roots when `nil`.
    public var sslRootCertificate: String?
    /// How long the TCP connect may take.
    public var connectTimeout: Duration
    /// How long TLS, authentication and session start-up may take after connecting.
    public var authenticationTimeout: Duration
    /// The largest message accepted from the server.
    public var maximumMessageSize: Int
    /// Whether to enable TCP keepalive on the socket, so a dead peer is noticed on an idle stream.
    public var tcpKeepalive: Bool

    /// TLS modes, with libpq's meanings (https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION).
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS if the server offers it, without certificate checks; else plain TCP.
        case prefer
        /// TLS required, certificate not checked.
        case require
        /// TLS required, certificate must chain to a trusted CA.
        case verifyCA = "verify-ca"
        /// TLS required, certificate must chain to a trusted CA and name the host.
        case verifyFull = "verify-full"
    }

    public init(
        host: String = "localhost", port: Int = 5432, user: String, password: String? = nil,
        database: String? = nil, applicationName: String? = "tycostream", options: String? = nil,
        sslMode: SSLMode = .prefer, sslRootCertificate: String? = nil,
        connectTimeout: Duration = .seconds(10), authenticationTimeout: Duration = .seconds(30),
        maximumMessageSize: Int = 64 << 20, tcpKeepalive: Bool = true
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.applicationName = applicationName
        self.options = options
        self.sslMode = sslMode
        self.sslRootCertificate = sslRootCertificate
        self.connectTimeout = connectTimeout
        self.authenticationTimeout = authenticationTimeout
        self.maximumMessageSize = maximumMessageSize
        self.tcpKeepalive = tcpKeepalive
    }

    /// Parses `postgres://user:password@host:port/database?sslmode=…&sslrootcert=…&options=…&application_name=…&connect_timeout=…`
    /// (also `postgresql://`). Percent-escapes are decoded in every part.
    public init(url text: String) throws(PostgresError) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            throw PostgresError(
                .configuration,
                "'\(Self.redacted(text))' is not a postgres:// URL; write postgres://user:password@host:port/database?sslmode=require")
        }
        guard let user = components.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw PostgresError(.configuration, "the URL names no user; write postgres://USER@host/database")
        }
        self.init(user: user)
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        if let host = components.host, !host.isEmpty {
            self.host = host.removingPercentEncoding ?? host
            if self.host.hasPrefix("["), self.host.hasSuffix("]") {
                self.host = String(self.host.dropFirst().dropLast())
            }
        }
        if let port = components.port {
            guard (1...65535).contains(port) else {
                throw PostgresError(.configuration, "port \(port) in the URL is out of range 1–65535")
            }
            self.port = port
        }
        let path = components.path
        if path.count > 1 {
            database = String(path.dropFirst()).removingPercentEncoding
        }
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw PostgresError(
                        .configuration,
                        "sslmode '\(value)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert":
                sslRootCertificate = value
            case "application_name":
                applicationName = value
            case "options":
                options = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw PostgresError(.configuration, "connect_timeout '\(value)' must be a positive number of seconds")
                }
                connectTimeout = .seconds(seconds)
            case "user":
                self.user = value
            case "password":
                password = value
            case "dbname":
                database = value
            case "host":
                host = value
            case "port":
                guard let port = Int(value), (1...65535).contains(port) else {
                    throw PostgresError(.configuration, "port '\(value)' must be a number in 1–65535")
                }
                self.port = port
            default:
                throw PostgresError(
                    .configuration,
                    "unknown URL parameter '\(item.name)'; supported: sslmode, sslrootcert, application_name, options, connect_timeout, user, password, dbname, host, port")
            }
        }
    }

    /// The URL with any password replaced, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://…"
    }

    var startupParameters: StartupParameters {
        StartupParameters(user: user, database: database, applicationName: applicationName, options: options)
    }
}
