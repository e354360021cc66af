extension MD5 {
    /// The PasswordMessage answer to AuthenticationMD5Password:
    /// `"md5" + hex(md5(hex(md5(password + user)) + salt))`
    /// (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP).
    ///
    /// `salt` is the 4-byte salt as decoded into ``Authentication/md5Password(salt:)``; its
    /// big-endian bytes are the bytes the server sent. The user name is the one sent in the
    /// StartupMessage, as libpq's `pg_password_sendauth` uses.
    public static func postgresPassword(user: String, password: String, salt: UInt32) -> String {
        let inner = lowercaseHex(hash(Array(password.utf8) + Array(user.utf8)))
        let saltBytes: [UInt8] = [
            UInt8(truncatingIfNeeded: salt &>> 24), UInt8(truncatingIfNeeded: salt &>> 16),
            UInt8(truncatingIfNeeded: salt &>> 8), UInt8(truncatingIfNeeded: salt),
        ]
        return "md5" + lowercaseHex(hash(Array(inner.utf8) + saltBytes))
    }

    /// Lower-case hexadecimal, as PostgreSQL writes digests.
    static func lowercaseHex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte &>> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
