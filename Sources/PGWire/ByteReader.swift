/// A bounds-checked cursor over the bytes of one message.
///
/// Every read returns `nil` instead of trapping when the bytes run out, so a
/// decoder can turn a short or malformed payload into a protocol error. Reads
/// are big-endian, as everything on the Postgres wire is
/// (https://www.postgresql.org/docs/current/protocol-message-types.html).
public struct ByteReader: Sendable {
    /// The bytes being read; indices are those of the underlying array.
    public let bytes: ArraySlice<UInt8>
    /// The index of the next unread byte.
    public var index: Int

    @inlinable
    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    @inlinable
    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    /// Bytes not read yet.
    @inlinable
    public var remaining: Int { bytes.endIndex - index }

    /// Whether every byte has been read.
    @inlinable
    public var isAtEnd: Bool { index >= bytes.endIndex }

    @inlinable
    public mutating func readUInt8() -> UInt8? {
        guard index < bytes.endIndex else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    @inlinable
    public mutating func readUInt16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        let value = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        index += 2
        return value
    }

    @inlinable
    public mutating func readInt16() -> Int16? {
        readUInt16().map { Int16(bitPattern: $0) }
    }

    @inlinable
    public mutating func readUInt32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            value = value << 8 | UInt32(bytes[index + offset])
        }
        index += 4
        return value
    }

    @inlinable
    public mutating func readInt32() -> Int32? {
        readUInt32().map { Int32(bitPattern: $0) }
    }

    @inlinable
    public mutating func readUInt64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        var value: UInt64 = 0
        for offset in 0..<8 {
            value = value << 8 | UInt64(bytes[index + offset])
        }
        index += 8
        return value
    }

    @inlinable
    public mutating func readInt64() -> Int64? {
        readUInt64().map { Int64(bitPattern: $0) }
    }

    /// Reads exactly `count` bytes as a slice sharing the underlying storage.
    @inlinable
    public mutating func readBytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, remaining >= count else { return nil }
        defer { index += count }
        return bytes[index..<index + count]
    }

    /// Reads every remaining byte.
    @inlinable
    public mutating func readRest() -> ArraySlice<UInt8> {
        defer { index = bytes.endIndex }
        return bytes[index...]
    }

    /// Reads a NUL-terminated string (the protocol's `String` type) without its NUL.
    ///
    /// Returns `nil` when no NUL follows or the bytes are not valid UTF-8: the
    /// protocol strings we read (names, tags, error fields) are UTF-8 because
    /// every server we speak to runs with `client_encoding` UTF8.
    @inlinable
    public mutating func readCString() -> String? {
        guard let raw = readCStringBytes() else { return nil }
        return String(validating: raw, as: UTF8.self)
    }

    /// Reads the bytes of a NUL-terminated string, consuming the NUL.
    @inlinable
    public mutating func readCStringBytes() -> ArraySlice<UInt8>? {
        guard let end = bytes[index...].firstIndex(of: 0) else { return nil }
        defer { index = end + 1 }
        return bytes[index..<end]
    }
}
