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

/// A webhook trigger as the API shows it (upstream's `Trigger` type and `<source>TriggerInput`).
public struct TriggerDefinition: Sendable, Hashable {
    public var name: String
    public var webhook: String
    /// Rows entering this expression FIRE the trigger.
    public var fire: FilterInput
    /// Rows leaving this expression CLEAR it; `nil` means "no longer matching `fire`".
    public var clear: FilterInput?

    public init(name: String, webhook: String, fire: FilterInput, clear: FilterInput? = nil) {
        self.name = name
        self.webhook = webhook
        self.fire = fire
        self.clear = clear
    }
}

/// The trigger operations, per source; errors thrown reach the client as GraphQL errors.
public protocol TriggerService: Sendable {
    func listTriggers(source: SourceDefinition) async throws -> [TriggerDefinition]
    func trigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition?
    func createTrigger(source: SourceDefinition, _ trigger: TriggerDefinition) async throws -> TriggerDefinition
    func deleteTrigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition
}

/// The trigger service of a build without triggers: every operation fails with a clear error,
/// never a fake result (an empty list would tell a client its triggers are gone).
public struct UnavailableTriggerService: TriggerService {
    public init() {}

    static let error = GraphQLAPIError(.triggersUnavailable, "triggers are not available yet in this build")

    public func listTriggers(source: SourceDefinition) async throws -> [TriggerDefinition] { throw Self.error }
    public func trigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition? { throw Self.error }
    public func createTrigger(source: SourceDefinition, _ trigger: TriggerDefinition) async throws -> TriggerDefinition {
        throw Self.error
    }
    public func deleteTrigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition { throw Self.error }
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
