/// What a server stores for a SCRAM-SHA-256 user (RFC 5802 §3): never the password itself.
///
/// This is PostgreSQL's `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` verifier.
public struct SCRAMCredentials: Sendable, Hashable {
    public var salt: [UInt8]
    public var iterations: Int
    /// `H(ClientKey)`: what the client's proof is checked against.
    public var storedKey: [UInt8]
    /// `HMAC(SaltedPassword, "Server Key")`: signs the server-final-message.
    public var serverKey: [UInt8]

    public init(salt: [UInt8], iterations: Int, storedKey: [UInt8], serverKey: [UInt8]) {
        self.salt = salt
        self.iterations = iterations
        self.storedKey = storedKey
        self.serverKey = serverKey
    }

    /// Derives the verifier from a password, SASLprep'd as PostgreSQL does (raw bytes on failure).
    public init(password: String, salt: [UInt8], iterations: Int = SCRAMClient.minimumIterations) {
        precondition(!salt.isEmpty && iterations >= 1, "SCRAM credentials need a salt and a positive iteration count")
        let saltedPassword = HMAC.Key(PBKDF2.sha256(
            password: SASLprep.passwordBytes(password), salt: salt, iterations: iterations, keyLength: SHA256.byteCount))
        self.init(
            salt: salt, iterations: iterations,
            storedKey: SHA256.hash(SCRAMKeys.clientKey(saltedPassword: saltedPassword)),
            serverKey: SCRAMKeys.serverKey(saltedPassword: saltedPassword))
    }
}

/// The server side of a SCRAM-SHA-256 exchange, sans-IO, for our own test server.
///
/// Like Materialize and PostgreSQL without TLS channel binding, it refuses a client that
/// requires channel binding (`p=`), accepts `n` and `y`, and ignores the SCRAM user name.
/// A wrong proof throws an `.authentication` error; the driver answers with an
/// ErrorResponse (SQLSTATE 28P01), as PostgreSQL does, rather than an `e=` message.
public struct SCRAMServer: Sendable {
    enum State: Sendable {
        /// Nothing received yet; the client speaks first in SCRAM.
        case awaitingClientFirst
        /// server-first sent; what client-final must match.
        case awaitingClientFinal(gs2Header: [UInt8], combinedNonce: [UInt8], authMessagePrefix: [UInt8])
        /// The client proved it knows the password.
        case authenticated
        /// A message failed; the exchange cannot continue.
        case failed
    }

    let credentials: SCRAMCredentials
    let serverNonce: [UInt8]
    var state: State = .awaitingClientFirst

    /// - Parameter nonce: the server's part of the nonce (printable ASCII without commas).
    public init(credentials: SCRAMCredentials, nonce: String) {
        precondition(SCRAMAttributes.isValidNonce(nonce.utf8), "a SCRAM nonce is printable ASCII without commas")
        self.credentials = credentials
        self.serverNonce = Array(nonce.utf8)
    }

    /// Whether the client's proof was verified.
    public var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// Parses the client-first-message and returns the server-first-message `r=…,s=…,i=…`.
    public mutating func receiveClientFirst(_ message: [UInt8]) throws(PostgresError) -> [UInt8] {
        guard case .awaitingClientFirst = state else {
            state = .failed
            throw PostgresError(.authentication, "the client sent a second SCRAM client-first-message")
        }
        state = .failed
        let what = "client-first-message"
        // gs2-header = gs2-cbind-flag "," [authzid] ","
        guard let flag = message.first else {
            throw PostgresError(.authentication, "the \(what) is empty")
        }
        switch flag {
        case UInt8(ascii: "p"):
            throw PostgresError(.authentication,
                "the client requires SCRAM channel binding (p=), which this server does not support; "
                + "connect with channel_binding=disable or prefer")
        case UInt8(ascii: "n"), UInt8(ascii: "y"):
            break
        default:
            throw PostgresError(.authentication, "the \(what) is malformed: it must start with `n,`, `y,` or `p=`")
        }
        guard message.count >= 3, message[1] == UInt8(ascii: ",") else {
            throw PostgresError(.authentication, "the \(what) is malformed: the GS2 header must be `n,,` or `y,,`")
        }
        guard message[2] == UInt8(ascii: ",") else {
            throw PostgresError(.authentication,
                "the \(what) names an authorization identity (a=), which is not supported; leave it empty")
        }
        let gs2Header = Array(message[..<3])
        let bare = Array(message[3...])
        let attributes = try SCRAMAttributes(bare, what: what)
        try attributes.refuseMandatoryExtension(what: what)
        _ = try attributes.value(at: 0, named: "n", what: what)  // ignored, as PostgreSQL does
        let clientNonce = try attributes.value(at: 1, named: "r", what: what)
        guard SCRAMAttributes.isValidNonce(clientNonce) else {
            throw PostgresError(.authentication, "the \(what) has an empty nonce or one with characters SCRAM does not allow")
        }

        let combinedNonce = Array(clientNonce) + serverNonce
        var serverFirst = Array("r=".utf8) + combinedNonce
        serverFirst.append(contentsOf: ",s=".utf8)
        serverFirst.append(contentsOf: Base64.encode(credentials.salt))
        serverFirst.append(contentsOf: ",i=\(credentials.iterations)".utf8)

        var authMessagePrefix = bare
        authMessagePrefix.append(UInt8(ascii: ","))
        authMessagePrefix.append(contentsOf: serverFirst)
        authMessagePrefix.append(UInt8(ascii: ","))
        state = .awaitingClientFinal(gs2Header: gs2Header, combinedNonce: combinedNonce, authMessagePrefix: authMessagePrefix)
        return serverFirst
    }

    /// Verifies the client-final-message `c=…,r=…,p=…` and returns the server-final-message `v=…`.
    public mutating func receiveClientFinal(_ message: [UInt8]) throws(PostgresError) -> [UInt8] {
        guard case .awaitingClientFinal(let gs2Header, let combinedNonce, let authMessagePrefix) = state else {
            state = .failed
            throw PostgresError(.authentication, "the client sent a SCRAM client-final-message out of order")
        }
        state = .failed
        let what = "client-final-message"
        let attributes = try SCRAMAttributes(message, what: what)
        let binding = try attributes.value(at: 0, named: "c", what: what)
        guard Base64.decode(binding) == gs2Header else {
            throw PostgresError(.authentication,
                "the \(what) has channel-binding data (c=) that does not match its GS2 header")
        }
        let nonce = try attributes.value(at: 1, named: "r", what: what)
        guard nonce.elementsEqual(combinedNonce) else {
            throw PostgresError(.authentication, "the \(what) has a nonce that does not match this exchange")
        }
        guard let proofAttribute = attributes.attributes.last, attributes.attributes.count >= 3,
              proofAttribute.name == UInt8(ascii: "p")
        else {
            throw PostgresError(.authentication, "the \(what) is malformed: the last attribute must be the proof `p=`")
        }
        guard let proof = Base64.decode(proofAttribute.value), proof.count == SHA256.byteCount else {
            throw PostgresError(.authentication, "the \(what) has a proof (p=) that is not 32 bytes of base64")
        }

        // AuthMessage ends with client-final-message-without-proof: everything before ",p=".
        let authMessage = authMessagePrefix + message[..<(proofAttribute.start - 1)]
        let clientSignature = HMAC.authenticationCode(for: authMessage, key: credentials.storedKey)
        let clientKey = SCRAMKeys.xor(proof, clientSignature)
        guard SCRAMAttributes.constantTimeEqual(SHA256.hash(clientKey), credentials.storedKey) else {
            throw PostgresError(.authentication,
                "password authentication failed: the client's SCRAM proof does not match the stored credentials")
        }
        state = .authenticated
        let serverSignature = HMAC.authenticationCode(for: authMessage, key: credentials.serverKey)
        return Array("v=".utf8) + Base64.encode(serverSignature)
    }
}
