import PGWire

extension Datum {
    /// A total, deterministic order used to sort SUBSCRIBE rows within a timestamp.
    ///
    /// Materialize sorts a batch by (time, row bytes) (materialize-subscribe.md §3); the exact
    /// order of its packed rows is not observable through a contract, so we use the natural
    /// order of each type (numbers numerically, text by UTF-8 bytes, NULL last), falling back
    /// to the text form. Returns a negative number, zero or a positive number.
    static func subscribeOrder(_ lhs: Datum, _ rhs: Datum) -> Int {
        switch (lhs, rhs) {
        case (.null, .null): return 0
        case (.null, _): return 1
        case (_, .null): return -1
        case (.bool(let a), .bool(let b)): return a == b ? 0 : (a ? 1 : -1)
        case (.float32(let a), .float32(let b)): return compareFloat(Double(a), Double(b))
        case (.float64(let a), .float64(let b)): return compareFloat(a, b)
        case (.numeric(let a), .numeric(let b)): return a < b ? -1 : (b < a ? 1 : 0)
        case (.text(let a), .text(let b)), (.json(let a), .json(let b)), (.jsonb(let a), .jsonb(let b)):
            return compareBytes(a.utf8, b.utf8)
        case (.date(let a), .date(let b)): return compare(a, b)
        case (.time(let a), .time(let b)), (.timestamp(let a), .timestamp(let b)), (.timestamptz(let a), .timestamptz(let b)):
            return compare(a, b)
        case (.mzTimestamp(let a), .mzTimestamp(let b)): return compare(a, b)
        case (.bytea(let a), .bytea(let b)): return compareBytes(a, b)
        default:
            if let a = lhs.integerValue, let b = rhs.integerValue { return compare(a, b) }
            return compareBytes(lhs.textBytes() ?? [], rhs.textBytes() ?? [])
        }
    }

    /// Compares two rows column by column.
    static func subscribeOrder(_ lhs: some Collection<Datum>, _ rhs: some Collection<Datum>) -> Int {
        for (a, b) in zip(lhs, rhs) {
            let order = subscribeOrder(a, b)
            if order != 0 { return order }
        }
        return compare(lhs.count, rhs.count)
    }

    private var integerValue: Int64? {
        switch self {
        case .int16(let value): Int64(value)
        case .int32(let value): Int64(value)
        case .int64(let value): value
        default: nil
        }
    }

    /// NaN sorts above every number (as in PostgreSQL and Materialize).
    private static func compareFloat(_ a: Double, _ b: Double) -> Int {
        switch (a.isNaN, b.isNaN) {
        case (true, true): 0
        case (true, false): 1
        case (false, true): -1
        case (false, false): a < b ? -1 : (b < a ? 1 : 0)
        }
    }

    static func compare<T: Comparable>(_ a: T, _ b: T) -> Int {
        a < b ? -1 : (b < a ? 1 : 0)
    }

    static func compareBytes(_ a: some Sequence<UInt8>, _ b: some Sequence<UInt8>) -> Int {
        var left = a.makeIterator()
        var right = b.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }
}
