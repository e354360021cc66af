/// HMAC-SHA-256 (RFC 2104, https://www.rfc-editor.org/rfc/rfc2104; test vectors RFC 4231).
///
/// SCRAM computes many MACs under the same key (PBKDF2 thousands of times under the
/// password), so the key is absorbed once into a ``Key``: the SHA-256 states after the
/// `ipad` and `opad` blocks. Starting a MAC from a ``Key`` is a struct copy, not two
/// extra compressions.
public struct HMAC: Sendable {
    /// A key absorbed into the inner and outer SHA-256 states; reusable for any number of MACs.
    public struct Key: Sendable {
        /// SHA-256 state after hashing `K ^ ipad`.
        var inner: SHA256.State
        /// SHA-256 state after hashing `K ^ opad`.
        var outer: SHA256.State

        /// Prepares `key`: keys longer than a block are hashed first, as RFC 2104 §2 says.
        public init(_ key: some Sequence<UInt8>) {
            var block = Array(key)
            if block.count > SHA256.blockByteCount {
                block = SHA256.hash(block)
            }
            block.append(contentsOf: repeatElement(0, count: SHA256.blockByteCount - block.count))
            var innerHasher = SHA256()
            innerHasher.update(block.map { $0 ^ 0x36 })
            var outerHasher = SHA256()
            outerHasher.update(block.map { $0 ^ 0x5c })
            inner = innerHasher.state
            outer = outerHasher.state
        }
    }

    var innerHasher: SHA256
    let outer: SHA256.State

    /// Starts a MAC under a prepared key.
    public init(key: Key) {
        innerHasher = SHA256(state: key.inner, byteCount: UInt64(SHA256.blockByteCount))
        outer = key.outer
    }

    /// Starts a MAC under raw key bytes.
    public init(key: some Sequence<UInt8>) {
        self.init(key: Key(key))
    }

    /// Feeds more message bytes.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        innerHasher.update(bytes)
    }

    /// Returns the 32-byte authentication code.
    public consuming func finalize() -> [UInt8] {
        let innerDigest = innerHasher.finalize()
        var outerHasher = SHA256(state: outer, byteCount: UInt64(SHA256.blockByteCount))
        outerHasher.update(innerDigest)
        return outerHasher.finalize()
    }

    /// The MAC of `message` under `key` in one call.
    public static func authenticationCode(for message: some Sequence<UInt8>, key: some Sequence<UInt8>) -> [UInt8] {
        var mac = HMAC(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// The MAC of `message` under a prepared key in one call.
    public static func authenticationCode(for message: some Sequence<UInt8>, key: Key) -> [UInt8] {
        var mac = HMAC(key: key)
        mac.update(message)
        return mac.finalize()
    }
}
