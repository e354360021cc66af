import Foundation
import PGWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The durable store of webhook triggers (directory `TRIGGER_STORE`): trigger definitions,
/// pending deliveries, dead letters, and per trigger its matching keys and last processed
/// database timestamp, so deliveries and triggers survive a restart.
///
/// An append-only log, `outbox.log`: an 8-byte magic, then records framed as
/// `length (u32 BE) · checksum (first 8 bytes of SHA-256 of the payload) · payload`. Every
/// method returns only after its records are written and `fsync`ed: a delivery is acknowledged
/// to the caller only once it is durable. At open, a torn or partial last record (a crash
/// mid-write) is detected by its length or checksum, cut off and reported in
/// ``discardedBytesAtOpen``, never trusted. When the log outgrows its live contents it is
/// compacted: the state is written to a new file, synced and renamed over the log.
///
/// Methods are synchronous and serialized by a lock; they block for an `fsync`, so batch
/// records (``enqueue(_:)`` takes many) rather than calling once per event.
public final class Outbox: @unchecked Sendable {  // Sendable: every access to mutable state holds `lock`.
    static let magic = Array("TYCOWHK1".utf8)
    static let headerSize = 12
    static let maxRecordSize = 64 << 20

    public let directory: String
    /// Bytes of a torn tail dropped when the log was opened (0 after a clean shutdown).
    public let discardedBytesAtOpen: Int
    private let compactionThreshold: Int
    private let lock = NSLock()
    private var state = OutboxState()
    private var descriptor: Int32
    private var fileSize: Int
    private var liveSizeAtCompaction: Int

    private var logPath: String { directory + "/outbox.log" }

    /// Opens (or creates) the store in `directory`; replays the log.
    ///
    /// - Parameter compactionThreshold: the log size above which it is compacted, once it is
    ///   also more than twice its size after the last compaction.
    /// - Throws: ``WebhooksError`` `storage` when the directory cannot be used or another process
    ///   holds it, `corruptStore` when the log is not ours.
    public init(directory: String, compactionThreshold: Int = 16 << 20) throws(WebhooksError) {
        self.directory = directory
        self.compactionThreshold = max(4096, compactionThreshold)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw WebhooksError(.storage, "cannot create the trigger store directory '\(directory)': \(error)")
        }
        let path = directory + "/outbox.log"
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.posixError("open", path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw WebhooksError(.storage, "the trigger store '\(directory)' is in use by another process")
        }
        descriptor = fd
        var replayed = OutboxState()
        do throws(WebhooksError) {
            let contents = try Self.readAll(fd, path)
            if contents.isEmpty {
                try Self.writeAll(fd, Self.magic, path)
                guard fsync(fd) == 0 else { throw Self.posixError("fsync", path) }
                fileSize = Self.magic.count
                discardedBytesAtOpen = 0
            } else {
                guard contents.count >= Self.magic.count, Array(contents.prefix(Self.magic.count)) == Self.magic else {
                    throw WebhooksError(.corruptStore, "'\(path)' is not a tycostream trigger store; move it away or point TRIGGER_STORE elsewhere")
                }
                let (records, validEnd) = try Self.scan(contents, path)
                for record in records { replayed.apply(record) }
                discardedBytesAtOpen = contents.count - validEnd
                if validEnd < contents.count {
                    guard ftruncate(fd, off_t(validEnd)) == 0, fsync(fd) == 0 else { throw Self.posixError("truncate", path) }
                }
                fileSize = validEnd
            }
            guard lseek(fd, 0, SEEK_END) >= 0 else { throw Self.posixError("seek", path) }
        } catch {
            close(fd)
            throw error
        }
        liveSizeAtCompaction = fileSize
        state = replayed
    }

    deinit { close(descriptor) }

    /// Splits a log into records; stops at the first torn one. Returns where the valid part ends.
    static func scan(_ contents: [UInt8], _ path: String) throws(WebhooksError) -> ([OutboxRecord], Int) {
        var records: [OutboxRecord] = []
        var offset = magic.count
        while contents.count - offset >= headerSize {
            var header = ByteReader(contents[offset..<offset + headerSize])
            guard let length = header.readUInt32(), let checksum = header.readBytes(8) else { break }
            let start = offset + headerSize
            guard Int(length) <= maxRecordSize, contents.count - start >= Int(length) else { break }
            let payload = contents[start..<start + Int(length)]
            guard Array(SHA256.hash(payload).prefix(8)) == Array(checksum) else { break }
            guard let record = OutboxRecord.decode(payload) else {
                throw WebhooksError(.corruptStore, "'\(path)' holds a record this version cannot read at offset \(offset)")
            }
            records.append(record)
            offset = start + Int(length)
        }
        return (records, offset)
    }

    static func frame(_ records: [OutboxRecord]) -> [UInt8] {
        var output: [UInt8] = []
        for record in records {
            var writer = ByteWriter(capacity: 128)
            record.encode(into: &writer)
            let payload = writer.bytes
            var header = ByteWriter(capacity: headerSize)
            header.writeUInt32(UInt32(payload.count))
            header.writeBytes(SHA256.hash(payload).prefix(8))
            output.append(contentsOf: header.bytes)
            output.append(contentsOf: payload)
        }
        return output
    }

    // MARK: Writing

    /// Writes and syncs `records`, then applies them. On a failed write the log is cut back, so
    /// the state and the file never disagree.
    func append(_ records: [OutboxRecord]) throws(WebhooksError) {
        try append(records) { _ in () }
    }

    /// Appends, then runs `inspect` on the new state under the same lock (so what it reads is
    /// exactly the effect of these records, whatever other threads do).
    func append<Result>(_ records: [OutboxRecord], inspect: (OutboxState) -> Result) throws(WebhooksError) -> Result {
        let bytes = Self.frame(records)
        lock.lock()
        defer { lock.unlock() }
        guard !records.isEmpty else { return inspect(state) }
        do throws(WebhooksError) {
            try Self.writeAll(descriptor, bytes, logPath)
            guard fsync(descriptor) == 0 else { throw Self.posixError("fsync", logPath) }
        } catch {
            _ = ftruncate(descriptor, off_t(fileSize))
            throw error
        }
        fileSize += bytes.count
        for record in records { state.apply(record) }
        let result = inspect(state)
        if fileSize > compactionThreshold, fileSize > 2 * liveSizeAtCompaction {
            try compactLocked()
        }
        return result
    }

    /// Rewrites the log as the current state (temp file, fsync, rename, fsync directory).
    public func compact() throws(WebhooksError) {
        lock.lock()
        defer { lock.unlock() }
        try compactLocked()
    }

    private func compactLocked() throws(WebhooksError) {
        let temporary = logPath + ".tmp"
        let bytes = Self.magic + Self.frame(state.snapshot())
        let fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.posixError("open", temporary) }
        do throws(WebhooksError) {
            try Self.writeAll(fd, bytes, temporary)
            guard fsync(fd) == 0 else { throw Self.posixError("fsync", temporary) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw Self.posixError("lock", temporary) }
            guard rename(temporary, logPath) == 0 else { throw Self.posixError("rename", temporary) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
        _ = lseek(fd, 0, SEEK_END)
        close(descriptor)
        descriptor = fd
        fileSize = bytes.count
        liveSizeAtCompaction = bytes.count
    }

    /// The log's current size in bytes.
    public var logSize: Int { lock.withLock { fileSize } }

    /// Deliveries waiting and dead letters, over all triggers (two dictionary counts: cheap).
    public var counts: (pending: Int, deadLetters: Int) { lock.withLock { (state.pending.count, state.dead.count) } }

    // MARK: Triggers

    /// Stores a trigger definition, with the keys it starts out considering matching.
    public func saveTrigger(_ trigger: StoredTrigger, matchingKeys: Set<String> = [], checkpoint: UInt64? = nil)
        throws(WebhooksError) {
        var records: [OutboxRecord] = [.trigger(trigger), .matching(trigger.id, matchingKeys.sorted())]
        if let checkpoint { records.append(.checkpoint(trigger.id, checkpoint)) }
        try append(records)
    }

    /// Deletes a trigger with its pending deliveries, dead letters, keys and checkpoint.
    public func deleteTrigger(_ id: TriggerID) throws(WebhooksError) {
        guard lock.withLock({ state.triggers[id] != nil }) else {
            throw WebhooksError(.unknownTrigger, "no trigger '\(id.name)' on source '\(id.source)'")
        }
        try append([.triggerDeleted(id)])
    }

    public var triggers: [StoredTrigger] { lock.withLock { state.triggers.values.sorted { $0.id < $1.id } } }

    public func trigger(_ id: TriggerID) -> StoredTrigger? { lock.withLock { state.triggers[id] } }

    /// The keys (``WebhookPayload/keyText(_:)``) the trigger has fired for and not cleared.
    public func matchingKeys(_ id: TriggerID) -> Set<String> { lock.withLock { state.matching[id] ?? [] } }

    /// The last database timestamp the trigger has processed: catch up from here after a restart.
    public func checkpoint(_ id: TriggerID) -> UInt64? { lock.withLock { state.checkpoints[id] } }

    /// Records progress without events (a batch that changed nothing for this trigger).
    public func saveCheckpoint(_ id: TriggerID, _ timestamp: UInt64) throws(WebhooksError) {
        try append([.checkpoint(id, timestamp)])
    }

    // MARK: Deliveries

    /// Durably enqueues deliveries (one write, one fsync); returns those that were new (a
    /// transition already pending or dead-lettered is not enqueued twice).
    @discardableResult
    public func enqueue(_ payloads: [WebhookPayload]) throws(WebhooksError) -> [PendingDelivery] {
        let before = lock.withLock { state.nextSequence }
        return try append(payloads.map { .enqueued($0) }) { state in
            payloads.compactMap { state.pending[$0.eventID] }.filter { $0.sequence >= before }
        }
    }

    /// Durably enqueues a trigger's catch-up deliveries and sets its matching keys and
    /// checkpoint, in one write: after a crash either all of it holds or none, so a restart
    /// neither repeats nor loses the catch-up. Returns the new deliveries.
    @discardableResult
    public func resume(_ id: TriggerID, enqueue payloads: [WebhookPayload], matchingKeys: Set<String>, checkpoint: UInt64)
        throws(WebhooksError) -> [PendingDelivery] {
        guard lock.withLock({ state.triggers[id] != nil }) else {
            throw WebhooksError(.unknownTrigger, "no trigger '\(id.name)' on source '\(id.source)'")
        }
        let before = lock.withLock { state.nextSequence }
        let records = payloads.map { OutboxRecord.enqueued($0) } + [.matching(id, matchingKeys.sorted()), .checkpoint(id, checkpoint)]
        return try append(records) { state in
            payloads.compactMap { state.pending[$0.eventID] }.filter { $0.sequence >= before }
        }
    }

    /// Pending deliveries in enqueue order, optionally of one trigger.
    public func pending(of trigger: TriggerID? = nil) -> [PendingDelivery] {
        lock.withLock { state.pendingInOrder(of: trigger) }
    }

    public func pendingCount(of trigger: TriggerID) -> Int {
        lock.withLock { state.pending.values.reduce(0) { $0 + ($1.trigger == trigger ? 1 : 0) } }
    }

    public func delivery(_ eventID: String) -> PendingDelivery? { lock.withLock { state.pending[eventID] } }

    func recordAttempts(_ eventID: String, _ attempts: Int) throws(WebhooksError) {
        try append([.attempted(eventID: eventID, attempts: attempts)])
    }

    func markDelivered(_ eventID: String) throws(WebhooksError) {
        try append([.delivered(eventID: eventID)])
    }

    func markDead(_ eventID: String, reason: String, atMillis: Int64) throws(WebhooksError) {
        try append([.deadLettered(eventID: eventID, reason: reason, atMillis: atMillis)])
    }

    /// Dead letters, oldest first, optionally of one trigger.
    public func deadLetters(of trigger: TriggerID? = nil) -> [DeadLetter] {
        lock.withLock {
            state.dead.values.filter { trigger == nil || $0.trigger == trigger }
                .sorted { ($0.atMillis, $0.payload.eventID) < ($1.atMillis, $1.payload.eventID) }
        }
    }

    /// Moves a dead letter back to pending with its attempts reset; returns it.
    public func reviveDeadLetter(_ eventID: String) throws(WebhooksError) -> PendingDelivery {
        guard lock.withLock({ state.dead[eventID] != nil }) else {
            throw WebhooksError(.unknownDelivery, "no dead letter has event id '\(eventID)'")
        }
        try append([.revived(eventID: eventID)])
        guard let delivery = lock.withLock({ state.pending[eventID] }) else {
            throw WebhooksError(.unknownDelivery, "dead letter '\(eventID)' was removed meanwhile")
        }
        return delivery
    }

    /// Drops a dead letter for good.
    public func discardDeadLetter(_ eventID: String) throws(WebhooksError) {
        guard lock.withLock({ state.dead[eventID] != nil }) else {
            throw WebhooksError(.unknownDelivery, "no dead letter has event id '\(eventID)'")
        }
        try append([.discarded(eventID: eventID)])
    }

    // MARK: POSIX

    private static func readAll(_ fd: Int32, _ path: String) throws(WebhooksError) -> [UInt8] {
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw posixError("seek", path) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw posixError("read", path)
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws(WebhooksError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw posixError("write", path)
            }
            offset += count
        }
    }

    private static func posixError(_ operation: String, _ path: String) -> WebhooksError {
        WebhooksError(.storage, "\(operation) '\(path)' failed: \(String(cString: strerror(errno))); check the trigger store's disk and permissions")
    }
}
