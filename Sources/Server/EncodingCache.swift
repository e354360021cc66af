import GraphQLAPI
import LiveViews
import Synchronization

/// Encodes each event once per distinct projection and hands the same bytes to every
/// subscriber that shares it (architecture.md, data flow 6).
///
/// The key is what determines the bytes: the projection, and the event's source,
/// timestamp, operation, row key and changed columns (the row at one key and timestamp is
/// the same for every view of a source). Two generations of entries bound the memory: when
/// the current one fills, it becomes the previous one and the oldest is dropped, so a burst
/// of distinct events costs at most twice the capacity.
public final class EncodingCache: Sendable {
    struct Key: Hashable, Sendable {
        let projection: Int
        let timestamp: UInt64
        let operation: ViewEvent.Operation
        let row: RowKey
        let changed: ColumnSet
    }

    private struct Generations {
        var current: [Key: [UInt8]] = [:]
        var previous: [Key: [UInt8]] = [:]
        var hits = 0
        var misses = 0
    }

    private let capacity: Int
    private let state = Mutex(Generations())
    /// Identifiers of the distinct projections seen, so keys hash an Int, not a program.
    private let projections = Mutex<[ProjectionKey: Int]>([:])

    private struct ProjectionKey: Hashable {
        let source: String
        let projection: Projection
    }

    public init(capacity: Int = 16_384) {
        self.capacity = capacity
    }

    /// A small integer naming `projection` over `source`'s events, the same for equal projections.
    public func identifier(for projection: Projection, source: String) -> Int {
        let key = ProjectionKey(source: source, projection: projection)
        return projections.withLock { table in
            if let id = table[key] { return id }
            let id = table.count
            table[key] = id
            return id
        }
    }

    /// The payload bytes of `event` under `projection`, encoded at most once while cached.
    public func payload(for event: ViewEvent, projection: Projection, id: Int) -> [UInt8] {
        let key = Key(projection: id, timestamp: event.timestamp, operation: event.operation, row: event.key, changed: event.changed)
        if let bytes = state.withLock({ $0.current[key] ?? $0.previous[key] }) {
            state.withLock { $0.hits += 1 }
            return bytes
        }
        let bytes = projection.encode(event)
        state.withLock { generations in
            generations.misses += 1
            if generations.current.count >= capacity {
                generations.previous = generations.current
                generations.current = [:]
                generations.current.reserveCapacity(capacity)
            }
            generations.current[key] = bytes
        }
        return bytes
    }

    /// Encodings served from the cache and encodings computed, since start.
    public var statistics: (hits: Int, misses: Int) {
        state.withLock { ($0.hits, $0.misses) }
    }
}
