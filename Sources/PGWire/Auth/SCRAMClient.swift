/// A sans-IO SCRAM-SHA-256 client (RFC 5802, RFC 7677) as PostgreSQL uses it
/// (https://www.postgresql.org/docs/current/sasl-authentication.html).
///
/// The driver sends ``clientFirstMessage()`` in SASLInitialResponse, hands the
/// AuthenticationSASLContinue data to ``receiveServerFirst(_:)`` and sends the returned
/// client-final-message in SASLResponse, then hands AuthenticationSASLFinal to
/// ``receiveServerFinal(_:)``. The driver must not accept AuthenticationOk unless
/// ``isServerVerified`` is true: otherwise a server that skips SASLFinal would be trusted
/// without ever proving it knows the password.
///
/// PostgreSQL ignores the SCRAM user name (it uses the StartupMessage's), so the default
/// is the empty name, sent as `n=`. No channel binding is offered (gs2 header `n,,`).
/// Unlike postgres-nio, this client checks that the server's nonce extends ours and
/// SASLprep's the password.
public struct SCRAMClient: Sendable {
    /// The fewest iterations accepted; PostgreSQL's default, and RFC 7677 §4's minimum.
    public static let minimumIterations = 4096

    enum State: Sendable {
        /// client-first-message sent (or ready to send); waiting for server-first-message.
        case awaitingServerFirst
        /// client-final-message sent; the server must answer with this signature.
        case awaitingServerFinal(expectedServerSignature: [UInt8])
        /// The server proved it knows the password.
        case verified
        /// A message failed; the exchange cannot continue.
        case failed
    }

    let clientFirstBare: [UInt8]
    let nonce: [UInt8]
    let passwordBytes: [UInt8]
    /// The most iterations accepted, so a hostile server cannot make us spin for minutes.
    public let maximumIterations: Int
    var state: State = .awaitingServerFirst

    /// Prepares an exchange.
    ///
    /// - Parameters:
    ///   - password: prepared with ``SASLprep/passwordBytes(_:)`` (raw bytes when SASLprep refuses it).
    ///   - nonce: printable ASCII without commas, at least 18 random bytes' worth; see ``makeNonce(using:)``.
    ///   - username: sent as `n=`; PostgreSQL ignores it, RFC 7677's example sends `user`.
    ///   - maximumIterations: the largest iteration count the server may ask for.
    public init(password: String, nonce: String, username: String = "", maximumIterations: Int = 1_000_000) {
        precondition(SCRAMAttributes.isValidNonce(nonce.utf8), "a SCRAM nonce is printable ASCII without commas")
        precondition(maximumIterations >= Self.minimumIterations, "maximumIterations is below the SCRAM minimum")
        self.nonce = Array(nonce.utf8)
        self.passwordBytes = SASLprep.passwordBytes(password)
        self.maximumIterations = maximumIterations
        var bare = Array("n=".utf8)
        for byte in username.utf8 {
            switch byte {
            case UInt8(ascii: "="): bare.append(contentsOf: "=3D".utf8)
            case UInt8(ascii: ","): bare.append(contentsOf: "=2C".utf8)
            default: bare.append(byte)
            }
        }
        bare.append(contentsOf: ",r=".utf8)
        bare.append(contentsOf: self.nonce)
        self.clientFirstBare = bare
    }

    /// A fresh client nonce: 18 random bytes in base64 (24 characters), as libpq makes it.
    public static func makeNonce(using generator: inout some RandomNumberGenerator) -> String {
        let bytes = (0..<18).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64.encodeString(bytes)
    }

    /// Whether the server proved, with a matching `v=`, that it knows the password.
    public var isServerVerified: Bool {
        if case .verified = state { return true }
        return false
    }

    /// The client-first-message for SASLInitialResponse: `n,,n=<user>,r=<nonce>`.
    public func clientFirstMessage() -> [UInt8] {
        Array("n,,".utf8) + clientFirstBare
    }

    /// Checks the server-first-message (`r=…,s=…,i=…`) and returns the client-final-message.
    public mutating func receiveServerFirst(_ message: [UInt8]) throws(PostgresError) -> [UInt8] {
        guard case .awaitingServerFirst = state else {
            state = .failed
            throw PostgresError(.authentication,
                "the server sent a second SCRAM challenge (AuthenticationSASLContinue) out of order; authentication was aborted")
        }
        do {
            let (final, signature) = try clientFinal(for: message)
            state = .awaitingServerFinal(expectedServerSignature: signature)
            return final
        } catch {
            state = .failed
            throw error
        }
    }

    /// Checks the server-final-message: `v=<signature>` must match, `e=<error>` is reported.
    public mutating func receiveServerFinal(_ message: [UInt8]) throws(PostgresError) {
        guard case .awaitingServerFinal(let expected) = state else {
            state = .failed
            throw PostgresError(.authentication,
                "the server sent its SCRAM outcome (AuthenticationSASLFinal) before its challenge; authentication was aborted")
        }
        state = .failed
        let what = "server-final-message"
        let attributes = try SCRAMAttributes(message, what: what)
        switch attributes.attributes[0].name {
        case UInt8(ascii: "e"):
            let reason = SCRAMAttributes.describe(attributes.attributes[0].value)
            throw PostgresError(.authentication,
                "the server rejected the SCRAM authentication with error \(reason); check the user name and password")
        case UInt8(ascii: "v"):
            guard let signature = Base64.decode(attributes.attributes[0].value) else {
                throw PostgresError(.authentication, "the \(what) has a server signature (v=) that is not valid base64")
            }
            guard SCRAMAttributes.constantTimeEqual(signature, expected) else {
                throw PostgresError(.authentication,
                    "the server's SCRAM signature does not match: the server does not know this password, "
                    + "or something is intercepting the connection")
            }
            state = .verified
        default:
            throw PostgresError(.authentication,
                "the \(what) is malformed: it must start with `v=` or `e=`, got "
                + SCRAMAttributes.describe(message[...]))
        }
    }

    /// Parses server-first and computes the client-final-message and the expected server signature.
    func clientFinal(for message: [UInt8]) throws(PostgresError) -> ([UInt8], [UInt8]) {
        let what = "server-first-message"
        let attributes = try SCRAMAttributes(message, what: what)
        try attributes.refuseMandatoryExtension(what: what)
        let combinedNonce = try attributes.value(at: 0, named: "r", what: what)
        let saltText = try attributes.value(at: 1, named: "s", what: what)
        let iterationText = try attributes.value(at: 2, named: "i", what: what)

        guard SCRAMAttributes.isValidNonce(combinedNonce) else {
            throw PostgresError(.authentication, "the \(what) has a nonce with characters SCRAM does not allow")
        }
        guard combinedNonce.count > nonce.count, combinedNonce.starts(with: nonce) else {
            throw PostgresError(.authentication,
                "the server's SCRAM nonce does not extend the nonce this client sent; "
                + "the reply is not for this exchange (a replay or a broken server), so authentication was aborted")
        }
        guard let salt = Base64.decode(saltText), !salt.isEmpty else {
            throw PostgresError(.authentication, "the \(what) has a salt (s=) that is empty or not valid base64")
        }
        guard !iterationText.isEmpty, iterationText.count <= 10,
              iterationText.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let iterations = Int(String(decoding: iterationText, as: UTF8.self))
        else {
            throw PostgresError(.authentication,
                "the \(what) has an iteration count (i=) that is not a positive decimal number: "
                + SCRAMAttributes.describe(iterationText))
        }
        guard iterations >= Self.minimumIterations else {
            throw PostgresError(.authentication,
                "the server asked for only \(iterations) SCRAM iterations; at least \(Self.minimumIterations) are required "
                + "(RFC 7677), so the password hash would be too weak; raise the server's scram_iterations")
        }
        guard iterations <= maximumIterations else {
            throw PostgresError(.authentication,
                "the server asked for \(iterations) SCRAM iterations, more than the configured maximum of "
                + "\(maximumIterations); raise maximumIterations if this is intended")
        }

        let saltedPassword = HMAC.Key(
            PBKDF2.sha256(password: passwordBytes, salt: salt, iterations: iterations, keyLength: SHA256.byteCount))
        let clientKey = SCRAMKeys.clientKey(saltedPassword: saltedPassword)
        let storedKey = SHA256.hash(clientKey)

        var finalMessage = Array("c=biws,r=".utf8)
        finalMessage.append(contentsOf: combinedNonce)
        var authMessage = clientFirstBare
        authMessage.append(UInt8(ascii: ","))
        authMessage.append(contentsOf: message)
        authMessage.append(UInt8(ascii: ","))
        authMessage.append(contentsOf: finalMessage)

        let clientSignature = HMAC.authenticationCode(for: authMessage, key: storedKey)
        let proof = SCRAMKeys.xor(clientKey, clientSignature)
        let serverSignature = HMAC.authenticationCode(
            for: authMessage, key: SCRAMKeys.serverKey(saltedPassword: saltedPassword))
        finalMessage.append(contentsOf: ",p=".utf8)
        finalMessage.append(contentsOf: Base64.encode(proof))
        return (finalMessage, serverSignature)
    }
}
