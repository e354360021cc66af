import GraphQL
import Synchronization

/// A GraphQL document that parsed and passed validation against the API schema.
public struct ValidatedDocument: Sendable {
    /// The query text it was parsed from (the cache key).
    public let text: String
    public let document: Document

    /// The type of the operation a request would run (`operationName` as the client sent it),
    /// so the server can send subscriptions to ``SubscriptionPlanner`` and the rest to
    /// GraphQLSwift's executor; `nil` when no operation answers to that name.
    public func operationType(named operationName: String?) -> OperationType? {
        operation(named: operationName)?.operation
    }

    func operation(named operationName: String?) -> OperationDefinition? {
        let operations = document.definitions.compactMap { $0 as? OperationDefinition }
        guard let operationName else { return operations.count == 1 ? operations[0] : nil }
        return operations.first { $0.name?.value == operationName }
    }
}

/// Parses and validates each distinct query text once (architecture.md, data flow 6).
///
/// Clients of one app send the same few documents over and over, one per subscription; parsing
/// and validating costs far more than a dictionary lookup. Results are kept in a bounded LRU,
/// rejected documents too (a client retrying a bad query costs a lookup). Errors are
/// GraphQLSwift's, with their `locations`, ready to send in an `error` / `errors` payload
/// (https://spec.graphql.org/October2021/#sec-Errors).
///
/// Shared by every connection: the state sits behind a `Mutex`, held only for the lookup and
/// the insertion, never while parsing.
public final class DocumentCache: Sendable {
    /// What a query text turned into.
    public typealias Outcome = Result<ValidatedDocument, GraphQLErrors>

    public let api: APISchema
    /// Most distinct texts kept; the least recently used is dropped beyond it.
    public let capacity: Int
    /// Longest query text accepted, in UTF-8 bytes; longer ones are refused without parsing.
    public let maximumQueryBytes: Int
    /// Deepest nesting of `{` `[` `(` accepted: GraphQLSwift's parser recurses per level, so a
    /// hostile document must be refused before it reaches the parser's stack.
    public let maximumNestingDepth: Int

    private let state: Mutex<LRU>

    public init(api: APISchema, capacity: Int = 1000, maximumQueryBytes: Int = 64 * 1024, maximumNestingDepth: Int = 64) {
        self.api = api
        self.capacity = max(1, capacity)
        self.maximumQueryBytes = maximumQueryBytes
        self.maximumNestingDepth = maximumNestingDepth
        self.state = Mutex(LRU(capacity: max(1, capacity)))
    }

    /// The parsed and validated document for `text`, or the errors to send back.
    public func document(for text: String) -> Outcome {
        if let cached = state.withLock({ $0.get(text) }) { return cached }
        let outcome = compile(text)
        state.withLock { $0.put(text, outcome) }
        return outcome
    }

    /// Number of texts currently cached.
    public var count: Int { state.withLock { $0.count } }

    /// Whether `text` is currently cached (without touching its recency).
    public func contains(_ text: String) -> Bool { state.withLock { $0.contains(text) } }

    private func compile(_ text: String) -> Outcome {
        if text.utf8.count > maximumQueryBytes {
            return .failure(GraphQLErrors([GraphQLError(
                message: "The document is \(text.utf8.count) bytes long; the limit is \(maximumQueryBytes). Send a shorter document.")]))
        }
        if let error = nestingError(text) { return .failure(GraphQLErrors([error])) }
        let document: Document
        do {
            document = try parse(source: text)
        } catch let error as GraphQLError {
            return .failure(GraphQLErrors([error]))
        } catch {
            return .failure(GraphQLErrors([GraphQLError(error)]))
        }
        let errors = api.validate(document)
        guard errors.isEmpty else { return .failure(GraphQLErrors(errors)) }
        return .success(ValidatedDocument(text: text, document: document))
    }

    /// Scans brackets outside strings and comments; refuses nesting beyond the limit.
    private func nestingError(_ text: String) -> GraphQLError? {
        var depth = 0
        var line = 1
        var column = 0
        var inString = false
        var inComment = false
        var escaped = false
        for byte in text.utf8 {
            column += 1
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 0
                inComment = false
                continue
            }
            if inComment { continue }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "#"): inComment = true
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "("):
                depth += 1
                if depth > maximumNestingDepth {
                    return GraphQLError(
                        message: "The document nests deeper than \(maximumNestingDepth) levels; flatten it.",
                        locations: [SourceLocation(line: line, column: column)])
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ")"): depth = max(0, depth - 1)
            default: break
            }
        }
        return nil
    }
}

/// A least-recently-used map of query text → outcome, O(1) per operation: entries live in an
/// array and are chained in recency order by index.
private struct LRU: ~Copyable {
    struct Entry {
        var key: String
        var value: DocumentCache.Outcome
        var newer: Int
        var older: Int
    }

    let capacity: Int
    var entries: [Entry] = []
    var index: [String: Int] = [:]
    /// Most and least recently used entries, or -1.
    var newest = -1
    var oldest = -1

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { index.count }

    func contains(_ key: String) -> Bool { index[key] != nil }

    mutating func get(_ key: String) -> DocumentCache.Outcome? {
        guard let slot = index[key] else { return nil }
        touch(slot)
        return entries[slot].value
    }

    mutating func put(_ key: String, _ value: DocumentCache.Outcome) {
        if let slot = index[key] {
            entries[slot].value = value
            touch(slot)
            return
        }
        let slot: Int
        if entries.count < capacity {
            slot = entries.count
            entries.append(Entry(key: key, value: value, newer: -1, older: -1))
        } else {
            // Reuse the least recently used entry's slot.
            slot = oldest
            unlink(slot)
            index[entries[slot].key] = nil
            entries[slot] = Entry(key: key, value: value, newer: -1, older: -1)
        }
        index[key] = slot
        linkNewest(slot)
    }

    private mutating func touch(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        linkNewest(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (entries[slot].newer, entries[slot].older)
        if newer >= 0 { entries[newer].older = older } else { newest = older }
        if older >= 0 { entries[older].newer = newer } else { oldest = newer }
        entries[slot].newer = -1
        entries[slot].older = -1
    }

    private mutating func linkNewest(_ slot: Int) {
        entries[slot].older = newest
        entries[slot].newer = -1
        if newest >= 0 { entries[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}
