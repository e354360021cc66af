// ViewGraphBench: throughput of the view graph, cost per event against the number of
// equality views, and memory per cached row. Not a test: it prints figures.
#if canImport(Glibc)
import Glibc
#endif
import LiveViews

struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let status = EnumType(name: "Status", values: ["pending", "active", "suspended", "closed"])
let schema = try SourceSchema(
    name: "accounts",
    columns: [
        .init(name: "id", type: .integer),
        .init(name: "group", type: .integer),
        .init(name: "name", type: .string),
        .init(name: "balance", type: .float),
        .init(name: "updated_at", type: .timestamp),
        .init(name: "status", type: .enumeration(status)),
    ],
    primaryKey: ["id"])

func row(_ id: Int, group: Int, balance: Double) -> [Value] {
    [.integer(Int64(id)), .integer(Int64(group)), .string("account-\(100_000_000 + id)"), .float(balance),
     .timestamp(1_700_000_000_000_000 + Int64(id)), .string(status.values[id % 4])]
}

/// Bytes of a row's own data: 8 per number or timestamp, the UTF-8 text of strings and enums.
func rawBytes(_ values: [Value]) -> Int {
    values.reduce(0) { total, value in
        switch value {
        case .string(let text), .json(let text): total + text.utf8.count
        case .integer, .float, .timestamp, .time: total + 8
        case .date: total + 4
        case .bool: total + 1
        case .uuid: total + 16
        case .decimal(let decimal): total + decimal.description.utf8.count
        case .null: total
        }
    }
}

/// Resident memory, from /proc/self/statm (Linux); 0 elsewhere.
func heapInUse() -> Int {
    #if canImport(Glibc)
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 256)
    guard fgets(&buffer, 256, file) != nil else { return 0 }
    let fields = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let resident = Int(fields[1]) else { return 0 }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    #else
    return 0
    #endif
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func filter(group: Int) throws -> Filter {
    try Filter(.object(["group": .object(["_eq": .int(Int64(group))])]), schema: schema)
}

let quiet = SubscriptionOptions(capacity: 1024, hardLimit: 10_000_000)

// MARK: Bytes per cached row

let rowCount = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 1_000_000
/// Rows behind the cost-per-event and throughput sections. Creating each of the 10k distinct
/// views scans the cache, so this dominates the run time (scripts/bench --quick passes 10k).
let eventRows = Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 100_000
do {
    let cache = SourceCache(schema: schema)
    var raw = 0
    var batches: [SourceBatch] = []
    for start in stride(from: 0, to: rowCount, by: 10_000) {
        let changes = (start..<min(start + 10_000, rowCount)).map { id -> SourceChange in
            let values = row(id, group: id % 1000, balance: Double(id) * 1.5)
            raw += rawBytes(values)
            return .upsert(values)
        }
        batches.append(SourceBatch(timestamp: UInt64(start + 1), changes: changes))
    }
    let before = heapInUse()
    let clock = ContinuousClock()
    let start = clock.now
    for batch in batches { try await cache.apply(batch) }
    let elapsed = clock.now - start
    let after = heapInUse()
    let count = await cache.rowCount
    let perRow = Double(after - before) / Double(count)
    let rawPerRow = Double(raw) / Double(count)
    print("rows cached:                \(count) in \(String(format: "%.2f", seconds(elapsed))) s (\(Int(Double(count) / seconds(elapsed))) rows/s)")
    print("bytes per cached row:       \(String(format: "%.1f", perRow)) (resident memory, including the key set) vs \(String(format: "%.1f", rawPerRow)) bytes of raw data: \(String(format: "%.2f", perRow / rawPerRow))x")
    print(String(
        format: #"{"bench":"viewgraph-cache","rows":%d,"rows_per_s":%.0f,"bytes_per_row":%.1f,"raw_bytes_per_row":%.1f}"#,
        count, Double(count) / seconds(elapsed), perRow, rawPerRow))
    batches = []
    _ = await cache.rowCount
}

// MARK: Cost per event against the number of equality views

/// Loads `rows` rows spread over `views` groups, subscribes once per group, then times
/// batches of updates (half of them move a row to another group). Returns ns per event.
func costPerEvent(views: Int, rows: Int = eventRows, batches: Int = 100, perBatch: Int = 1000) async throws -> Double {
    let cache = SourceCache(schema: schema)
    for start in stride(from: 0, to: rows, by: 10_000) {
        try await cache.apply(SourceBatch(timestamp: 1, changes: (start..<min(start + 10_000, rows)).map {
            .upsert(row($0, group: $0 % views, balance: 0))
        }))
    }
    var subscriptions: [Subscription] = []
    for group in 0..<views { subscriptions.append(try await cache.subscribe(try filter(group: group), options: quiet)) }
    var generator = Generator(state: 7)
    var work: [SourceBatch] = []
    for index in 0..<batches {
        work.append(SourceBatch(timestamp: UInt64(index + 2), changes: (0..<perBatch).map { _ in
            let id = Int.random(in: 0..<rows, using: &generator)
            let group = Bool.random(using: &generator) ? id % views : Int.random(in: 0..<views, using: &generator)
            return .upsert(row(id, group: group, balance: Double.random(in: 0..<1000, using: &generator)))
        }))
    }
    let clock = ContinuousClock()
    let start = clock.now
    for batch in work { try await cache.apply(batch) }
    let elapsed = clock.now - start
    withExtendedLifetime(subscriptions) {}
    return seconds(elapsed) * 1e9 / Double(batches * perBatch)
}

_ = try await costPerEvent(views: 100, batches: 20)   // warm-up
let small = try await costPerEvent(views: 100)
let large = try await costPerEvent(views: 10_000)
print("cost per event, 100 views:  \(String(format: "%.0f", small)) ns")
print("cost per event, 10k views:  \(String(format: "%.0f", large)) ns (ratio \(String(format: "%.2f", large / small)), must be <= 1.5)")
print(String(format: #"{"bench":"viewgraph-cost","ns_100_views":%.0f,"ns_10k_views":%.0f,"ratio":%.2f}"#, small, large, large / small))

// MARK: Throughput with 10k subscribers

do {
    let rows = eventRows
    let cache = SourceCache(schema: schema)
    for start in stride(from: 0, to: rows, by: 10_000) {
        try await cache.apply(SourceBatch(timestamp: 1, changes: (start..<min(start + 10_000, rows)).map {
            .upsert(row($0, group: $0 % 1000, balance: 0))
        }))
    }
    var subscriptions: [Subscription] = []
    for index in 0..<10_000 {
        subscriptions.append(try await cache.subscribe(try filter(group: index % 1000), options: quiet))
    }
    var generator = Generator(state: 11)
    let batches = 200
    let perBatch = 1000
    var work: [SourceBatch] = []
    for index in 0..<batches {
        work.append(SourceBatch(timestamp: UInt64(index + 2), changes: (0..<perBatch).map { _ in
            let id = Int.random(in: 0..<rows, using: &generator)
            let group = Bool.random(using: &generator) ? id % 1000 : Int.random(in: 0..<1000, using: &generator)
            return .upsert(row(id, group: group, balance: Double.random(in: 0..<1000, using: &generator)))
        }))
    }
    let clock = ContinuousClock()
    let start = clock.now
    for batch in work { try await cache.apply(batch) }
    let elapsed = seconds(clock.now - start)
    let events = Double(batches * perBatch)
    print("10k subscribers (1k views): \(Int(events / elapsed)) source events/s, ~\(Int(events * 10 * 1.5 / elapsed)) subscriber deliveries/s (each event reaches ~1.5 views x 10 subscribers)")
    print(String(format: #"{"bench":"viewgraph-throughput","events_per_s":%.0f,"deliveries_per_s":%.0f}"#, events / elapsed, events * 15 / elapsed))
    withExtendedLifetime(subscriptions) {}
}
