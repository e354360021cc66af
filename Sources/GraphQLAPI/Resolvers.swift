import GraphQL
import LiveViews

/// What the server layer plugs into the generated schema's resolvers.
///
/// The schema is built once at startup; the services behind it are given here so that the
/// GraphQL layer stays free of I/O and the server decides how subscriptions and triggers run.
public struct Resolvers: Sendable {
    /// Serves `<source>_triggers`, `<source>_trigger`, `create_<source>_trigger` and
    /// `delete_<source>_trigger`.
    public var triggers: any TriggerService
    /// Serves subscriptions through GraphQLSwift's executor (tests, and a reference for the
    /// compiled projections the WebSocket path uses). `nil`: subscribing through the executor
    /// fails with a clear error.
    public var subscriptions: (any SubscriptionService)?

    public init(
        triggers: any TriggerService = UnavailableTriggerService(),
        subscriptions: (any SubscriptionService)? = nil
    ) {
        self.triggers = triggers
        self.subscriptions = subscriptions
    }
}

/// A webhook trigger as the API shows it (upstream's `Trigger` type and `<source>TriggerInput`,
/// plus our additions: firing for rows already matching, a signing secret, delivery status).
public struct TriggerDefinition: Sendable, Hashable {
    public var name: String
    public var webhook: String
    /// Rows entering this expression FIRE the trigger.
    public var fire: FilterInput
    /// Rows leaving this expression CLEAR it; `nil` means "no longer matching `fire`".
    public var clear: FilterInput?
    /// FIRE at creation for rows that already match `fire` (default: only later changes fire).
    public var fireForExistingRows: Bool
    /// The Standard Webhooks signing secret (`whsec_…`) given at creation. Input only: the API
    /// never shows it back, only ``signed``.
    public var secret: String?
    /// Whether deliveries are signed.
    public var signed: Bool
    /// Delivery counters, when the service has them.
    public var status: TriggerStatus?

    public init(
        name: String, webhook: String, fire: FilterInput, clear: FilterInput? = nil, fireForExistingRows: Bool = false,
        secret: String? = nil, signed: Bool = false, status: TriggerStatus? = nil
    ) {
        self.name = name
        self.webhook = webhook
        self.fire = fire
        self.clear = clear
        self.fireForExistingRows = fireForExistingRows
        self.secret = secret
        self.signed = signed || secret != nil
        self.status = status
    }
}

/// A trigger's webhook delivery counters (`TriggerDeliveryStatus`).
public struct TriggerStatus: Sendable, Hashable {
    /// Deliveries waiting, in flight or retrying.
    public var pending: Int
    public var delivered: Int
    public var failedAttempts: Int
    public var consecutiveFailures: Int
    public var deadLetters: Int
    /// ISO-8601 times.
    public var lastSuccess: String?
    public var lastFailure: String?
    public var lastError: String?

    public init(
        pending: Int = 0, delivered: Int = 0, failedAttempts: Int = 0, consecutiveFailures: Int = 0, deadLetters: Int = 0,
        lastSuccess: String? = nil, lastFailure: String? = nil, lastError: String? = nil
    ) {
        self.pending = pending
        self.delivered = delivered
        self.failedAttempts = failedAttempts
        self.consecutiveFailures = consecutiveFailures
        self.deadLetters = deadLetters
        self.lastSuccess = lastSuccess
        self.lastFailure = lastFailure
        self.lastError = lastError
    }
}

/// A delivery given up on after its retries (`WebhookDeadLetter`).
public struct DeadLetterView: Sendable, Hashable {
    public var eventID: String
    public var source: String
    public var triggerName: String
    public var eventType: String
    public var attempts: Int
    public var reason: String
    /// ISO-8601.
    public var failedAt: String
    /// The JSON body that was to be delivered.
    public var payload: String

    public init(
        eventID: String, source: String, triggerName: String, eventType: String, attempts: Int, reason: String,
        failedAt: String, payload: String
    ) {
        self.eventID = eventID
        self.source = source
        self.triggerName = triggerName
        self.eventType = eventType
        self.attempts = attempts
        self.reason = reason
        self.failedAt = failedAt
        self.payload = payload
    }
}

/// The trigger operations, per source; errors thrown reach the client as GraphQL errors.
public protocol TriggerService: Sendable {
    func listTriggers(source: SourceDefinition) async throws -> [TriggerDefinition]
    func trigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition?
    func createTrigger(source: SourceDefinition, _ trigger: TriggerDefinition) async throws -> TriggerDefinition
    func deleteTrigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition
    /// Dead letters, oldest first, of one source and/or trigger when given.
    func deadLetters(source: String?, trigger: String?) async throws -> [DeadLetterView]
    /// Puts a dead letter back in line; `false` when there is none with that id.
    func retryDeadLetter(eventID: String) async throws -> Bool
    /// Drops a dead letter; `false` when there is none with that id.
    func discardDeadLetter(eventID: String) async throws -> Bool
}

/// The trigger service of a build without triggers: every operation fails with a clear error,
/// never a fake result (an empty list would tell a client its triggers are gone).
public struct UnavailableTriggerService: TriggerService {
    public init() {}

    static let error = GraphQLAPIError(.triggersUnavailable, "triggers are not available in this server")

    public func listTriggers(source: SourceDefinition) async throws -> [TriggerDefinition] { throw Self.error }
    public func trigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition? { throw Self.error }
    public func createTrigger(source: SourceDefinition, _ trigger: TriggerDefinition) async throws -> TriggerDefinition {
        throw Self.error
    }
    public func deleteTrigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition { throw Self.error }
    public func deadLetters(source: String?, trigger: String?) async throws -> [DeadLetterView] { throw Self.error }
    public func retryDeadLetter(eventID: String) async throws -> Bool { throw Self.error }
    public func discardDeadLetter(eventID: String) async throws -> Bool { throw Self.error }
}

/// Starts a filtered subscription to a source for GraphQLSwift's executor.
public protocol SubscriptionService: Sendable {
    /// The events of `source` matching `filter`, starting with the current rows as INSERTs.
    /// `context` is the one given to the executor (e.g. the connection).
    func subscribe(source: SourceDefinition, where filter: FilterInput, context: any Sendable) async throws
        -> AsyncThrowingStream<RowUpdate, any Error>
}

/// One event of a subscription as upstream's `<source>Update` type shows it.
public struct RowUpdate: Sendable, Hashable {
    /// Upstream's `RowOperation` enum.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case insert = "INSERT"
        case update = "UPDATE"
        case delete = "DELETE"
    }

    public var operation: Operation
    /// Column name → value as the client sees it (GraphQL output values). INSERT and DELETE
    /// carry the full row, UPDATE the key and the changed columns.
    public var data: [String: Map]?
    /// The columns `data` carries.
    public var fields: [String]

    public init(operation: Operation, data: [String: Map]?, fields: [String]) {
        self.operation = operation
        self.data = data
        self.fields = fields
    }
}
