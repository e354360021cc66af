/// Appends big-endian protocol primitives to a byte array.
///
/// Messages are written as type byte, a length placeholder, the body, and then
/// the length patched in (``beginMessage(_:)`` / ``endMessage(at:)``), so an
/// encoder never computes a length by hand.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    @inlinable
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable
    public mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    @inlinable
    public mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    public mutating func writeInt16(_ value: Int16) {
        writeUInt16(UInt16(bitPattern: value))
    }

    @inlinable
    public mutating func writeUInt32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    public mutating func writeInt32(_ value: Int32) {
        writeUInt32(UInt32(bitPattern: value))
    }

    @inlinable
    public mutating func writeUInt64(_ value: UInt64) {
        writeUInt32(UInt32(truncatingIfNeeded: value >> 32))
        writeUInt32(UInt32(truncatingIfNeeded: value))
    }

    @inlinable
    public mutating func writeInt64(_ value: Int64) {
        writeUInt64(UInt64(bitPattern: value))
    }

    @inlinable
    public mutating func writeBytes<Bytes: Sequence>(_ value: Bytes) where Bytes.Element == UInt8 {
        bytes.append(contentsOf: value)
    }

    /// Writes `value` as UTF-8 followed by a NUL (the protocol's `String`).
    @inlinable
    public mutating func writeCString(_ value: String) {
        bytes.append(contentsOf: value.utf8)
        bytes.append(0)
    }

    /// Starts a typed message: writes the type byte and a length placeholder.
    /// Returns the position to hand to ``endMessage(at:)``.
    @inlinable
    public mutating func beginMessage(_ type: UInt8) -> Int {
        bytes.append(type)
        return beginUntypedMessage()
    }

    /// Starts a message without a type byte (StartupMessage, SSLRequest, CancelRequest).
    @inlinable
    public mutating func beginUntypedMessage() -> Int {
        let position = bytes.count
        writeUInt32(0)
        return position
    }

    /// Patches the length word at `position`: it counts itself and the body, not the type byte.
    @inlinable
    public mutating func endMessage(at position: Int) {
        let length = UInt32(bytes.count - position)
        bytes[position] = UInt8(truncatingIfNeeded: length >> 24)
        bytes[position + 1] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[position + 2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[position + 3] = UInt8(truncatingIfNeeded: length)
    }
}
